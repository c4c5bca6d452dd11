// Starts Swagger UI from local files: the API docs work offline and without inline scripts.
const root = document.getElementById("swagger-ui");
window.SwaggerUIBundle({ url: root.dataset.openapiUrl, dom_id: "#swagger-ui", deepLinking: true });
