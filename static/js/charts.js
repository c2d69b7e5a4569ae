// Seamline's charts: Apache ECharts (vendored, SVG renderer) drawn from data in json_script tags.
// Each chart kind is one small module in static/js/charts/ that calls SeamlineCharts.register().
// A chart is <div data-chart="kind" data-source="json-script-id">; the same numbers are in a table
// beside it, so pages read fine without JavaScript.
(function () {
  "use strict";
  const builders = {};
  const live = new Set();

  function data(el) {
    const source = document.getElementById(el.dataset.source || "");
    return source ? JSON.parse(source.textContent) : null;
  }

  function draw(el) {
    const build = builders[el.dataset.chart];
    if (!build || !window.echarts) return;
    const previous = window.echarts.getInstanceByDom(el);
    if (previous) previous.dispose();
    const payload = data(el);
    if (!payload) return;
    const chart = window.echarts.init(el, null, { renderer: "svg" });
    const option = build(payload, el, chart);
    if (!option) { chart.dispose(); return; }
    chart.setOption(Object.assign({ animation: false, textStyle: { fontFamily: "system-ui, sans-serif" } }, option));
    live.add(el);
  }

  function drawAll(root) {
    (root || document).querySelectorAll("[data-chart]").forEach(draw);
  }

  window.SeamlineCharts = {
    register(kind, build) {
      builders[kind] = build;
      document.querySelectorAll(`[data-chart="${kind}"]`).forEach(draw);
    },
    redraw: draw,
    // Shared helpers of the chart modules.
    days(value) { return value == null ? "–" : `${Number(value).toFixed(1)} d`; },
    narrow() { return window.matchMedia("(max-width: 640px)").matches; },
    grid() {
      return window.matchMedia("(max-width: 640px)").matches
        ? { left: 44, right: 12, top: 40, bottom: 56, containLabel: false }
        : { left: 56, right: 24, top: 48, bottom: 48, containLabel: false };
    },
  };

  document.addEventListener("DOMContentLoaded", () => drawAll(document));
  document.addEventListener("htmx:load", (event) => drawAll(event.target));
  document.addEventListener("htmx:beforeSwap", () => {
    live.forEach((el) => { const c = window.echarts && window.echarts.getInstanceByDom(el); if (c) c.dispose(); });
    live.clear();
  });
  let pending = null;
  window.addEventListener("resize", () => {
    clearTimeout(pending);
    pending = setTimeout(() => live.forEach((el) => {
      if (!el.isConnected) { live.delete(el); return; }
      draw(el);  // redraw: layouts change between wide and narrow screens
    }), 150);
  });
  // Typing a date of a custom range means "dates below" rather than a window (runs before htmx
  // sends the form: capture phase).
  document.addEventListener("change", (event) => {
    const input = event.target;
    if (!input.matches || !input.matches("[data-custom-range]")) return;
    const windowSelect = input.form && input.form.querySelector("[name=window]");
    if (windowSelect) windowSelect.value = "";
  }, true);
  // Buttons that switch what a chart shows (units / line items): data-chart-toggle="target-id" data-value="units".
  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[data-chart-toggle]");
    if (!button) return;
    const el = document.getElementById(button.dataset.chartToggle);
    if (!el) return;
    el.dataset.measure = button.dataset.value;
    button.parentElement.querySelectorAll("[data-chart-toggle]").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
    draw(el);
  });
})();
