// Inlined in every page (CSP allows it by hash), so kept small; after kit.js, in its scope.
(function () {
  kit(document)();
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
    summary.onclick = function (e) {
      var field = e.target.hash && document.getElementById(e.target.hash.slice(1));
      if (!field) return;
      e.preventDefault();
      field.focus();
      (field.closest("fieldset,.field,.count") || field).scrollIntoView();
    };
  }
  // The frame's height, to the campaign's partners only (and, where the browser
  // says which page holds the frame, to that one only).
  var parent = location.ancestorOrigins && location.ancestorOrigins[0], last = 0;
  var origins = (document.getElementById("main").dataset.origins || "").split(" ").filter(function (o) {
    return o && (!parent || o === parent);
  });
  if (window.parent === window || !origins.length) return;
  new ResizeObserver(function () {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== last) origins.forEach(function (o) {
      window.parent.postMessage({type: "action-tally:height", height: last = height}, o);
    });
  }).observe(document.body);
})();
