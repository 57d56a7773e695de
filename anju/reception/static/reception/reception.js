// Copy buttons (issue 9 item 1): the follow-up SMS text is ready to paste into a phone's
// messages until a messaging app sends it. A button with data-copy="#id" copies that
// element's text; the clipboard API needs a secure context, so fall back to a selection.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) return;
  var source = document.querySelector(button.getAttribute("data-copy"));
  if (!source) return;
  var text = source.innerText;
  var done = function () {
    var label = button.getAttribute("data-copied") || button.textContent;
    var before = button.textContent;
    button.textContent = label;
    setTimeout(function () { button.textContent = before; }, 1500);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, function () { selectAndCopy(source); done(); });
  } else {
    selectAndCopy(source);
    done();
  }
});

function selectAndCopy(element) {
  var range = document.createRange();
  range.selectNodeContents(element);
  var selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  try { document.execCommand("copy"); } catch (e) { /* the text stays selected */ }
}
