// Starts Swagger UI on the API docs page (a file, not inline, so a strict CSP allows it).
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.dataset.specUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null, // never send the document to another site to be validated
  });
});
