// Start GOV.UK Frontend's components. Loaded as a module from our own origin (CSP: no inline script).
import { initAll } from "/static/govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
