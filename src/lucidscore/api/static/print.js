// The notice page's "Print this notice" button (issue 10). A file of its own because the pages'
// Content-Security-Policy allows no inline script or event handler (issue 11).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.addEventListener("click", function () {
      window.print();
    });
  });
});
