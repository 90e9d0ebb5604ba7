// Draws every chart of a page from the figure its div holds in data-figure (lucidscore.api._plots).
// A file of its own because the pages' Content-Security-Policy allows no inline script.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("div.plot[data-figure]").forEach(function (div) {
    var figure = JSON.parse(div.dataset.figure);
    Plotly.newPlot(div, figure.data, figure.layout, { displayModeBar: false, responsive: true });
  });
});
