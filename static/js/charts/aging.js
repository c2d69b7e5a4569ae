// WIP aging: every open line item as a dot at its days in its current stage, per stage, with the
// stage's usual p50 and p90 as lines; dots past p90 open the line item.
(function () {
  "use strict";
  SeamlineCharts.register("aging", (data, el, chart) => {
    const stages = data.stages;
    if (!stages.length) return null;
    const lines = [];
    stages.forEach((s, i) => {
      if (s.p50 != null) lines.push([{ coord: [i - 0.42, s.p50], name: "p50" }, { coord: [i + 0.42, s.p50] }]);
      if (s.p90 != null) lines.push([{ coord: [i - 0.42, s.p90], name: "p90", lineStyle: { type: "solid", color: "#b91c1c" } }, { coord: [i + 0.42, s.p90] }]);
    });
    chart.on("click", (p) => { if (p.data && p.data.url) window.location.assign(p.data.url); });
    const top = Math.max(1, ...data.dots.map((d) => d[1]), ...stages.map((s) => s.p90 || 0)) * 1.1;
    return {
      tooltip: { trigger: "item", confine: true,
                 formatter: (p) => p.data && p.data.label ? `${p.data.label}<br>${SeamlineCharts.days(p.data.value[1])} in stage${p.data.url ? "<br>past p90: click to open" : ""}` : "" },
      grid: SeamlineCharts.grid(),
      xAxis: { type: "value", min: -0.5, max: stages.length - 0.5, interval: 1, splitLine: { show: false },
               axisLine: { onZero: false }, axisTick: { show: false },
               axisLabel: { formatter: (v) => (stages[Math.round(v)] || {}).name || "", rotate: SeamlineCharts.narrow() ? 40 : 0 } },
      yAxis: { type: "value", name: "days in stage", min: 0, max: Math.ceil(top), axisLine: { onZero: false } },
      series: [{
        type: "scatter", symbolSize: 9,
        data: data.dots.map((d) => ({
          value: [d[0], d[1]], label: d[2], url: d[3], cursor: d[3] ? "pointer" : "default",
          itemStyle: { color: (stages[Math.round(d[0])] || {}).colour || "#9ca3af", opacity: d[3] ? 1 : 0.75,
                       borderColor: d[3] ? "#7f1d1d" : "transparent", borderWidth: d[3] ? 1.5 : 0 },
        })),
        markLine: { symbol: "none", silent: true, lineStyle: { type: "dashed", color: "#374151", width: 1.5 },
                    label: { show: !SeamlineCharts.narrow(), position: "end", formatter: "{b}" }, data: lines },
      }],
    };
  });
})();
