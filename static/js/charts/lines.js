// Lines over time: a manufacturer's trends (on time, days late, days per stage) and forecast error.
(function () {
  "use strict";
  SeamlineCharts.register("trend", (data) => ({
    tooltip: { trigger: "axis", confine: true },
    legend: { top: 0, type: "scroll" },
    grid: SeamlineCharts.grid(),
    xAxis: { type: "category", data: data.labels },
    yAxis: [{ type: "value", name: "% on time", max: 100 }, { type: "value", name: "days late", splitLine: { show: false } }],
    series: [
      { name: "% on time", type: "line", connectNulls: true, itemStyle: { color: "#2563eb" }, data: data.on_time_pct },
      { name: "median days late", type: "line", yAxisIndex: 1, connectNulls: true, itemStyle: { color: "#b91c1c" }, data: data.median_days_late },
    ],
  }));
  SeamlineCharts.register("stage-trend", (data) => ({
    tooltip: { trigger: "axis", confine: true },
    legend: { top: 0, type: "scroll" },
    grid: SeamlineCharts.grid(),
    xAxis: { type: "category", data: data.labels },
    yAxis: { type: "value", name: "median days" },
    series: data.stages.map((s) => ({ name: s.name, type: "line", connectNulls: true, itemStyle: { color: s.colour },
                                      lineStyle: { color: s.colour }, data: s.medians })),
  }));
  SeamlineCharts.register("forecast-error", (data) => {
    if (!data.weeks.length) return null;
    return {
      tooltip: { trigger: "axis", confine: true },
      legend: { top: 0 },
      grid: SeamlineCharts.grid(),
      xAxis: { type: "category", data: data.weeks },
      yAxis: { type: "value", name: "mean abs. error (d)" },
      series: [
        { name: "Seamline forecast (p50)", type: "line", itemStyle: { color: "#2563eb" }, data: data.forecast_mae },
        { name: "PO's own date", type: "line", itemStyle: { color: "#b45309" }, data: data.due_date_mae },
        { name: "7 days a stage", type: "line", itemStyle: { color: "#6b7280" }, data: data.fixed_mae },
      ],
    };
  });
})();
