// The workbench and the pipeline board (SAL-6): small, no framework beyond htmx.
// A refused one-click action answers 422 with the row and its message: show it in place
// (htmx leaves 4xx answers unswapped unless told).
document.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr.status;
  if ((status === 422 || status === 409) && event.detail.elt.closest("[data-swap-errors]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
