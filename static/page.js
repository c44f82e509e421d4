(function () {
  "use strict";
  var main = document.getElementById("main");
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a");
      var field = link && document.getElementById(link.hash.slice(1));
      if (!field) return;
      event.preventDefault();
      field.focus();
      (field.closest("fieldset, .field, .count") || field).scrollIntoView();
    });
  }
  var origins = (main.getAttribute("data-origins") || "").split(" ").filter(Boolean);
  if (window.parent === window || !origins.length) return;
  var last = 0;
  function postHeight() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    origins.forEach(function (origin) {
      window.parent.postMessage({type: "action-tally:height", height: height}, origin);
    });
  }
  new ResizeObserver(postHeight).observe(document.body);
  postHeight();
})();
