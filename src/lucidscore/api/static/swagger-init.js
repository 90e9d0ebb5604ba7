// Starts Swagger UI on /docs with the parameters the page holds in data-parameters (routes/docs.py).
// A file of its own because the pages' Content-Security-Policy allows no inline script.
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  var parameters = JSON.parse(root.dataset.parameters);
  parameters.presets = [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset];
  window.ui = SwaggerUIBundle(parameters);
})();
