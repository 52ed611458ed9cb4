// Starts Swagger UI on /docs (a static file, so the page needs no inline script).
window.addEventListener('load', () => {
  window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });
});
