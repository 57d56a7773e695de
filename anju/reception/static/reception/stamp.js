// 客户到访 / 开始接待 (issue 9 item 6): a button with data-stamp="<input id>" writes the
// current time, in the site's time zone (data-tz), into that datetime-local field. The form
// never prefills these times, so a value is either entered or stamped at the moment itself.
(function () {
  "use strict";
  function nowIn(tz) {
    // sv-SE formats as "2026-11-26 08:30:05": the shape a datetime-local input takes.
    var text = new Intl.DateTimeFormat("sv-SE", {
      timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23"
    }).format(new Date());
    return text.replace(" ", "T");
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-stamp]");
    if (!button) { return; }
    var input = document.getElementById(button.dataset.stamp);
    if (!input) { return; }
    event.preventDefault();
    input.value = nowIn(button.dataset.tz || "Asia/Shanghai");
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });
}());
