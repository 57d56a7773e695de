// Pipeline board (SAL-6): HTML5 drag and drop posting the new stage through htmx.
// The server's stage service decides; a refused move comes back (422) as the card with its
// message, left where it was; an accepted one reloads the board (counts and totals).
(function () {
  var dragged = null;
  document.addEventListener("dragstart", function (e) {
    var card = e.target.closest && e.target.closest(".pipeline-card[draggable=true]");
    if (!card) return;
    dragged = card;
    card.classList.add("dragging");
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", card.id);
  });
  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    document.querySelectorAll(".pipeline-column.drop-target").forEach(function (c) {
      c.classList.remove("drop-target");
    });
    dragged = null;
  });
  document.addEventListener("dragover", function (e) {
    var column = e.target.closest && e.target.closest(".pipeline-column");
    if (!column || !dragged) return;
    e.preventDefault(); // allow the drop
    e.dataTransfer.dropEffect = "move";
    column.classList.add("drop-target");
  });
  document.addEventListener("dragleave", function (e) {
    var column = e.target.closest && e.target.closest(".pipeline-column");
    if (column && !column.contains(e.relatedTarget)) column.classList.remove("drop-target");
  });
  document.addEventListener("drop", function (e) {
    var column = e.target.closest && e.target.closest(".pipeline-column");
    if (!column || !dragged) return;
    e.preventDefault();
    column.classList.remove("drop-target");
    var card = dragged;
    if (column.dataset.stage === card.dataset.stage) return; // dropped where it was
    card.classList.add("opacity-50");
    htmx.ajax("POST", card.dataset.moveUrl, {
      source: card,
      target: card,
      swap: "outerHTML",
      values: { stage: column.dataset.stage },
    });
  });
})();
