// Starts Swagger UI on /docs. A file rather than an inline script, so the page runs under a
// Content-Security-Policy of script-src 'self'.
window.addEventListener("load", () => {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: true,
    displayRequestDuration: true,
    tryItOutEnabled: true,
  });
});
