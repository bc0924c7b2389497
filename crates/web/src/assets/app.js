// prodline: keyboard shortcuts for the review desk and the queue. Pages work
// without it; it only binds keys to the buttons and links already there.
(function () {
  "use strict";
  function typing(event) {
    var tag = event.target && event.target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || event.target.isContentEditable;
  }
  function isField(element) {
    return element.tagName === "INPUT" || element.tagName === "TEXTAREA" || element.tagName === "SELECT";
  }

  // The review queue: j/k move the selection, Enter or o opens it.
  var queue = document.getElementById("queue");
  var rows = queue ? Array.prototype.slice.call(queue.querySelectorAll("tbody tr[data-href]")) : [];
  var selected = -1;
  function select(index) {
    if (rows.length === 0) return;
    if (selected >= 0) rows[selected].classList.remove("selected");
    selected = Math.max(0, Math.min(rows.length - 1, index));
    rows[selected].classList.add("selected");
    rows[selected].scrollIntoView({ block: "nearest" });
  }
  if (rows.length > 0) select(0);
  function queueKey(key) {
    if (rows.length === 0) return false;
    if (key === "j") select(selected + 1);
    else if (key === "k") select(selected - 1);
    else if (key === "Enter" || key === "o") window.location.href = rows[selected].getAttribute("data-href");
    else return false;
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    if (queueKey(event.key)) {
      event.preventDefault();
      return;
    }
    // Any element with data-key="x" is clicked (or focused, for fields) when x is pressed.
    var target = document.querySelector('[data-key="' + CSS.escape(event.key) + '"]');
    if (!target) return;
    event.preventDefault();
    if (isField(target)) {
      var details = target.closest("details");
      if (details) details.open = true;
      target.focus();
      if (target.select) target.select();
    } else {
      target.click();
    }
  });

  // A correction shown again with mistakes: bring the first one into view.
  var invalid = document.querySelector("#correction .invalid input");
  if (invalid) {
    invalid.scrollIntoView({ block: "center" });
    invalid.focus();
  }

  // The correction form: "remember this cross-reference" is offered only on
  // a line whose SKU now differs from the one the pipeline chose.
  var correction = document.getElementById("correction");
  if (correction) {
    var lines = correction.querySelectorAll("tr[data-planned-sku]");
    Array.prototype.forEach.call(lines, function (line) {
      var sku = line.querySelector("input.sku");
      var remember = line.querySelector("label.remember");
      if (!sku || !remember) return;
      var planned = line.getAttribute("data-planned-sku").trim().toUpperCase();
      function update() {
        remember.hidden = sku.value.trim().toUpperCase() === planned;
      }
      sku.addEventListener("input", update);
      update();
    });
  }
})();
