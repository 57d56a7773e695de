// The workbench and the pipeline board (SAL-6): small, no framework beyond htmx.
// A refused one-click action answers 422 with the row (or card) and its message: show it in
// place — htmx leaves 4xx answers unswapped unless told, for elements marked data-swap-errors.
document.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr.status;
  if (status !== 422 && status !== 409) return;
  var marked = [event.target, event.detail.elt, event.detail.requestConfig && event.detail.requestConfig.elt]
    .some(function (el) { return el && el.closest && el.closest("[data-swap-errors]"); });
  if (marked) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
