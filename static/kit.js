// The action kit's behaviour, for a document or embed.js's shadow root: copy buttons (shown
// only where they can work), and a channel used ticks its line of the report below (a
// count the supporter can still change). Bundled before page.js and embed.js, in one scope.
function kit(root) {
  var used = {};
  function byId(id) { return root.getElementById(id); }
  root.addEventListener("click", function (event) {
    var item = event.target.closest("[data-count],[data-copy]");
    if (!item) return;
    var copy = item.getAttribute("data-copy"), count = item.getAttribute("data-count");
    if (copy) {
      var source = byId(copy), status = byId("kit-status");
      var done = function () { status.textContent = status.getAttribute("data-copied"); };
      // No clipboard (a frame without the permission): select it, for the supporter to copy.
      var select = function () {
        var range = document.createRange();
        range.selectNodeContents(source);
        var selection = (root.getSelection ? root : window).getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
      };
      if (navigator.clipboard) navigator.clipboard.writeText(source.innerText.trim()).then(done, select);
      else select();
    }
    var input = count && byId(count);
    var key = count + " " + (item.getAttribute("href") || copy);
    // Each link or button once: a second click is not a second email.
    if (input && !used[key]) {
      used[key] = true;
      input.value = (parseInt(input.value, 10) || 0) + 1;
    }
  });
  // After each page shown: a fresh form, nothing used yet.
  return function reveal() {
    used = {};
    root.querySelectorAll("button[data-copy]").forEach(function (button) { button.hidden = false; });
  };
}
