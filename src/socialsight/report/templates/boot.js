(function () {
  "use strict";
  // Draw every chart from its JSON block. No link to plotly's site, nothing sent anywhere.
  var config = { displaylogo: false, showLink: false, responsive: true };
  var boxes = document.querySelectorAll("div[data-figure]");
  for (var i = 0; i < boxes.length; i++) {
    var box = boxes[i];
    var source = document.getElementById(box.getAttribute("data-figure"));
    if (!source) {
      continue;
    }
    var figure = JSON.parse(source.textContent);
    Plotly.newPlot(box, figure.data, figure.layout, config);
  }
})();
