// socialsight dashboard: renders the charts whose figures the server embedded as JSON data
// blocks, and asks before destructive forms. No inline script anywhere (CSP script-src 'self').
"use strict";

function renderCharts() {
  if (typeof Plotly === "undefined") {
    return;
  }
  document.querySelectorAll('script[type="application/json"].chart-data').forEach((block) => {
    const target = document.getElementById(block.dataset.target);
    if (!target) {
      return;
    }
    const figure = JSON.parse(block.textContent);
    Plotly.newPlot(target, figure.data || [], figure.layout || {}, {
      displaylogo: false, displayModeBar: false,
      responsive: true,
      modeBarButtonsToRemove: ["sendDataToCloud"],
    }).then(() => target.setAttribute("data-rendered", "true"));
  });
}

function confirmForms() {
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  renderCharts();
  confirmForms();
});
