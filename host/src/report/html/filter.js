// plumbline HTML report: the filters. The URL fragment holds them, so a filtered view can be
// linked or bookmarked: #severity=critical,high&check=acks&status=fail&q=orders
// Elements with data-filter="finding|suppressed|check" are shown or hidden; the severity filter
// applies to findings only. Without JavaScript the bar stays hidden and everything is shown.
// Reads attributes and textContent only; never writes markup.
(function () {
  "use strict";
  var bar = document.getElementById("filters");
  if (!bar) {
    return;
  }
  var boxes = Array.prototype.slice.call(bar.querySelectorAll("input[name=severity]"));
  var check = document.getElementById("filter-check");
  var status = document.getElementById("filter-status");
  var search = document.getElementById("filter-q");
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-filter]"));
  var texts = items.map(function (el) {
    return el.textContent.toLowerCase();
  });
  var KEYS = ["severity", "check", "status", "q"];

  function parse(hash) {
    var state = {};
    hash.replace(/^#/, "").split("&").forEach(function (part) {
      var at = part.indexOf("=");
      if (at < 1) {
        return;
      }
      try {
        state[decodeURIComponent(part.slice(0, at))] = decodeURIComponent(part.slice(at + 1).replace(/\+/g, " "));
      } catch (e) {
        // A malformed escape: leave that part out.
      }
    });
    return state;
  }

  function fromControls() {
    return {
      severity: boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; }).join(","),
      check: check.value,
      status: status.value,
      q: search.value
    };
  }

  function toControls(state) {
    var severities = (state.severity || "").split(",");
    boxes.forEach(function (b) { b.checked = severities.indexOf(b.value) >= 0; });
    check.value = state.check || "";
    status.value = state.status || "";
    search.value = state.q || "";
  }

  function encode(state) {
    return KEYS.filter(function (k) { return state[k]; }).map(function (k) {
      return k + "=" + encodeURIComponent(state[k]).replace(/%2C/g, ",");
    }).join("&");
  }

  function apply(state) {
    var severities = state.severity ? state.severity.split(",") : [];
    var q = (state.q || "").toLowerCase().trim();
    var shown = {}, total = {};
    items.forEach(function (el, i) {
      var kind = el.getAttribute("data-filter");
      var ok = (!state.check || el.getAttribute("data-check") === state.check) &&
        (!state.status || el.getAttribute("data-status") === state.status) &&
        (kind === "check" || severities.length === 0 || severities.indexOf(el.getAttribute("data-severity")) >= 0) &&
        (!q || texts[i].indexOf(q) >= 0);
      el.hidden = !ok;
      total[kind] = (total[kind] || 0) + 1;
      shown[kind] = (shown[kind] || 0) + (ok ? 1 : 0);
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-empty]"), function (el) {
      var kind = el.getAttribute("data-empty");
      el.hidden = !(total[kind] > 0 && shown[kind] === 0);
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-shown]"), function (el) {
      var kind = el.getAttribute("data-shown");
      var n = total[kind] || 0;
      var s = shown[kind] || 0;
      var noun = kind === "check" ? " check(s)" : " finding(s)";
      el.textContent = (s === n ? n : s + " of " + n) + noun + " shown";
    });
    document.documentElement.setAttribute("data-filtered", encode(state) ? "yes" : "no");
  }

  function changed() {
    var state = fromControls();
    var hash = encode(state);
    try {
      history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
    } catch (e) {
      location.hash = hash;
    }
    apply(state);
  }

  function fromHash() {
    // A fragment without "=" is an ordinary anchor: leave the filters as they are.
    if (location.hash.length > 1 && location.hash.indexOf("=") < 0) {
      return;
    }
    var state = parse(location.hash);
    toControls(state);
    apply(state);
  }

  boxes.forEach(function (b) { b.addEventListener("change", changed); });
  check.addEventListener("change", changed);
  status.addEventListener("change", changed);
  search.addEventListener("input", changed);
  document.getElementById("filter-reset").addEventListener("click", function () {
    toControls({});
    changed();
  });
  window.addEventListener("hashchange", fromHash);
  bar.hidden = false;
  fromHash();
})();
