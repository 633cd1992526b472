//! Sections 2 and 3: on-time shares per task and the distributions of lateness.

use super::*;
use directrix_core::simulation::TaskStats;

pub(super) fn on_time_table(out: &mut String, ctx: &Context<'_>) {
    out.push_str("<section>\n<h2>2. Deadlines met, task by task</h2>\n");
    out.push_str(
        "<p class=\"explain\"><b>On time</b>: share of the task's instances done without ever missing a deadline, over \
         all runs. <b>Completed</b>: share of runs in which every instance was done within the simulated period. \
         <b>Median / 90% / 99%</b>: time from issue until the task's last instance was done (in half, 9 in 10 and 99 in \
         100 of the runs that completed it). <b>Critical</b>: share of runs in which the task was on the critical path, \
         the chain of tasks that set the overall finish.</p>\n",
    );
    out.push_str(
        "<div class=\"table-wrap\"><table class=\"data\">\n<thead><tr><th>Task</th><th class=\"r\">Inst.</th>\
         <th>On time</th><th>Completed</th><th class=\"r\">Median</th><th class=\"r\">90%</th><th class=\"r\">99%</th>\
         <th>Critical</th></tr></thead>\n<tbody>\n",
    );
    for t in &ctx.report.tasks {
        let (p50, p90, p99) = t.completion_hours.map_or(
            ("—".to_owned(), "—".to_owned(), "—".to_owned()),
            |p| {
                (
                    duration_short(p.p50),
                    duration_short(p.p90),
                    duration_short(p.p99),
                )
            },
        );
        let ontime_class = if t.on_time_probability >= 0.8 {
            "good"
        } else if t.on_time_probability >= 0.5 {
            "fair"
        } else {
            "poor"
        };
        w!(
            out,
            "<tr><td class=\"task\"><code>{}</code>",
            escape(&t.task)
        );
        if let Some(gloss) = ctx.task_gloss(&t.task) {
            w!(out, "<div class=\"gloss-sm\">{}</div>", escape(gloss));
        }
        if let Some(title) = ctx.task_title(&t.task) {
            w!(
                out,
                "<div class=\"vi-sm\" lang=\"vi\">{}</div>",
                escape(title)
            );
        }
        w!(
            out,
            "</td><td class=\"r\">{}</td><td class=\"barcell\">{}</td><td class=\"barcell\">{}</td><td class=\"r\">{p50}</td>\
             <td class=\"r\">{p90}</td><td class=\"r\">{p99}</td><td class=\"barcell\">{}</td></tr>\n",
            t.instances,
            bar(t.on_time_probability, ontime_class),
            bar(t.completed_probability, "neutral"),
            bar(t.criticality, "crit")
        );
    }
    out.push_str("</tbody>\n</table></div>\n</section>\n");
}

/// A bin width in hours giving at most about 48 bins up to `max_hours`.
fn bin_hours(max_hours: f64) -> f64 {
    [
        1.0, 2.0, 3.0, 6.0, 12.0, 24.0, 48.0, 72.0, 168.0, 336.0, 720.0,
    ]
    .into_iter()
    .find(|b| max_hours / b <= 48.0)
    .unwrap_or(1_440.0)
}

/// The time axis every histogram shares: `bins` bars of `bin` hours up to `max` hours.
struct Axis {
    bin: f64,
    bins: usize,
    max: f64,
    in_days: bool,
}

impl Axis {
    /// Up to the latest finish of any task in any run, within the simulated period.
    fn of(ctx: &Context<'_>) -> Self {
        let latest = ctx
            .outcomes
            .iter()
            .flat_map(|o| o.finished().iter().flatten().copied())
            .max()
            .unwrap_or(0);
        let horizon_h = (ctx.until - ctx.start) as f64 / 3_600.0;
        let max_h = (latest as f64 / 3_600.0).max(1.0).min(horizon_h.max(1.0));
        let bin = bin_hours(max_h);
        let bins = ((max_h / bin).floor() as usize + 1).max(1);
        let max = bins as f64 * bin;
        Axis {
            bin,
            bins,
            max,
            in_days: max > 48.0,
        }
    }

    /// Hours between labelled ticks: at most about 8 ticks, on round numbers.
    fn tick(&self) -> f64 {
        if self.in_days {
            let days = self.max / 24.0;
            let step = [1.0, 2.0, 5.0, 7.0, 14.0, 30.0]
                .into_iter()
                .find(|s| days / s <= 8.0)
                .unwrap_or(60.0);
            step * 24.0
        } else {
            [1.0, 2.0, 3.0, 6.0, 12.0]
                .into_iter()
                .find(|s| self.max / s <= 8.0)
                .unwrap_or(24.0)
        }
    }
}

/// One histogram's box (SVG units): size and left, right, top and bottom margins.
const HIST_W: f64 = 360.0;
const HIST_H: f64 = 150.0;
const ML: f64 = 34.0;
const MR: f64 = 10.0;
const MT: f64 = 8.0;
const MB: f64 = 24.0;

pub(super) fn histograms(out: &mut String, ctx: &Context<'_>) {
    out.push_str("<section>\n<h2>3. When each task was finished</h2>\n");
    let axis = Axis::of(ctx);
    let bin = axis.bin;
    w!(
        out,
        "<p class=\"explain\">For each task, how many of the {} runs finished its last instance at each time after \
         issue (bars of {} each; all charts share the same time axis). Lines mark the median \
         <span class=\"k-p50\">━</span>, 90th <span class=\"k-p90\">╍</span> and 99th <span class=\"k-p99\">┅</span> \
         percentiles.</p>\n<div class=\"hist-grid\">\n",
        ctx.report.runs,
        if bin >= 24.0 {
            format!("{} day{}", bin / 24.0, if bin > 24.0 { "s" } else { "" })
        } else {
            format!("{bin} h")
        }
    );
    for (t, stats) in ctx.report.tasks.iter().enumerate() {
        histogram(out, ctx, &axis, t, stats);
    }
    out.push_str("</div>\n</section>\n");
}

/// The figure of task `t`: when its last instance finished, run by run.
fn histogram(out: &mut String, ctx: &Context<'_>, axis: &Axis, t: usize, stats: &TaskStats) {
    let (w, h) = (HIST_W, HIST_H);
    let pw = w - ML - MR;
    let ph = h - MT - MB;
    let mut counts = vec![0u32; axis.bins];
    let mut done = 0usize;
    for o in ctx.outcomes {
        if let Some(Some(s)) = o.finished().get(t) {
            let hours = *s as f64 / 3_600.0;
            let b = ((hours / axis.bin).floor() as usize).min(axis.bins - 1);
            counts[b] += 1;
            done += 1;
        }
    }
    let peak = counts.iter().copied().max().unwrap_or(0).max(1);
    let x = |hours: f64| ML + pw * (hours / axis.max).clamp(0.0, 1.0);
    out.push_str("<figure class=\"hist\">\n");
    w!(out, "<figcaption><code>{}</code>", escape(&stats.task));
    if let Some(gloss) = ctx.task_gloss(&stats.task) {
        w!(
            out,
            " <span class=\"gloss-sm\">{}</span>",
            escape(&truncate(gloss, 70))
        );
    }
    out.push_str("</figcaption>\n");
    w!(
        out,
        "<svg viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"Completion times of {}\" \
         xmlns=\"http://www.w3.org/2000/svg\">\n",
        n(w),
        n(h),
        escape(&stats.task)
    );
    // Y grid at 0, half and full peak.
    for frac in [0.0, 0.5, 1.0] {
        let y = MT + ph * (1.0 - frac);
        w!(
            out,
            "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#e2e8f0\" stroke-width=\"0.8\"/>\
             <text x=\"{}\" y=\"{}\" class=\"axis-sm\" text-anchor=\"end\">{}</text>\n",
            n(ML),
            n(w - MR),
            n(ML - 4.0),
            n(y + 3.0),
            (f64::from(peak) * frac).round(),
            y = n(y)
        );
    }
    let bw = pw / axis.bins as f64;
    for (b, &c) in counts.iter().enumerate() {
        if c == 0 {
            continue;
        }
        let bh = ph * f64::from(c) / f64::from(peak);
        let from = b as f64 * axis.bin;
        w!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" class=\"hbar\"><title>{} runs finished between {} and \
             {} after issue</title></rect>\n",
            n(ML + bw * b as f64 + 0.5),
            n(MT + ph - bh),
            n((bw - 1.0).max(0.5)),
            n(bh),
            c,
            duration(from),
            duration(from + axis.bin)
        );
    }
    time_axis(out, axis, &x);
    if let Some(p) = stats.completion_hours {
        for (value, class, name) in [
            (p.p99, "p99", "99th percentile"),
            (p.p90, "p90", "90th percentile"),
            (p.p50, "p50", "median"),
        ] {
            w!(
                out,
                "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" class=\"{class}\"><title>{name}: {}</title></line>\n",
                n(MT - 2.0),
                n(MT + ph),
                duration(value),
                x = n(x(value))
            );
        }
    }
    out.push_str("</svg>\n<p class=\"hist-note\">");
    match stats.completion_hours {
        Some(p) => w!(
            out,
            "Median <b>{}</b> · 90% <b>{}</b> · 99% <b>{}</b>",
            duration(p.p50),
            duration(p.p90),
            duration(p.p99)
        ),
        None => out.push_str("Never completed"),
    }
    let missing = ctx.outcomes.len() - done;
    if missing > 0 {
        w!(
            out,
            " · <span class=\"warn-text\">not completed in {missing} run{}</span>",
            if missing == 1 { "" } else { "s" }
        );
    }
    out.push_str("</p>\n</figure>\n");
}

/// A histogram's x axis: ticks with labels, the axis line and its title.
fn time_axis(out: &mut String, axis: &Axis, x: &dyn Fn(f64) -> f64) {
    let (w, h) = (HIST_W, HIST_H);
    let ph = h - MT - MB;
    let tick = axis.tick();
    let mut v = 0.0;
    while v <= axis.max + 1e-9 {
        let label = if axis.in_days {
            format!("{}d", v / 24.0)
        } else {
            format!("{v}h")
        };
        w!(
            out,
            "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"#718096\"/><text x=\"{x}\" y=\"{}\" \
             class=\"axis-sm\" text-anchor=\"middle\">{label}</text>\n",
            n(MT + ph),
            n(MT + ph + 3.0),
            n(MT + ph + 13.0),
            x = n(x(v))
        );
        v += tick;
    }
    w!(
        out,
        "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#718096\"/>\n",
        n(ML),
        n(w - MR),
        y = n(MT + ph)
    );
    w!(
        out,
        "<text x=\"{}\" y=\"{}\" class=\"axis-sm\" text-anchor=\"end\">{} after issue</text>\n",
        n(w - MR),
        n(h - 2.0),
        if axis.in_days { "days" } else { "hours" }
    );
}
