// keygate dashboard: the only script. It adds what needs JavaScript —
// copying a new key to the clipboard — and nothing else; every page works
// without it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () {
      var el = document.getElementById(b.getAttribute("data-copy"));
      if (!el || !navigator.clipboard) return;
      navigator.clipboard.writeText(el.textContent.trim()).then(function () {
        b.textContent = b.getAttribute("data-done") || b.textContent;
      });
    });
  });
});
