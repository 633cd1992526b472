//! Section 1: the typical run as a timeline of lifecycle bands, deadlines and escalations.

use super::*;

/// Colour and English label of a lifecycle state: done from its kind, the others by the
/// built-in lifecycles' names.
fn state_style<'s>(ctx: &'s Context<'_>, state: &State) -> (&'static str, &'s str) {
    if is_done(state) {
        return ("#3b8c52", &ctx.done_label);
    }
    match state.id.as_str() {
        "assigned" => ("#c3cad5", "Assigned (not yet acknowledged)"),
        "acknowledged" => ("#8db4dc", "Acknowledged"),
        "in_progress" => ("#2c6aa8", "In progress"),
        "reported" | "reporting" => ("#d99a2b", "Reported (awaiting acceptance) or reporting"),
        _ => ("#9aa5b4", "Other state"),
    }
}

/// A state that ends its task done (drawn as a thin bar).
fn is_done(state: &State) -> bool {
    state.kind == StateKind::Done
}

/// One row of the timeline.
struct Row {
    label: String,
    sub: String,
    instances: Vec<String>,
}

fn timeline_rows(ctx: &Context<'_>) -> (Vec<Row>, bool) {
    let status = &ctx.status;
    let last = ctx.run.instance.workflow();
    let fold = status.len() > MAX_INSTANCE_ROWS;
    let mut rows: Vec<Row> = Vec::new();
    for s in status {
        let slot = last.task_slot(s.task);
        let task = last.task(slot.task).id.clone();
        if fold && let Some(row) = rows.iter_mut().find(|r| r.label == task) {
            row.instances.push(slot.name.clone());
            continue;
        }
        let member = slot.member.map(|a| last.agency(a).name.clone());
        let sub = match (fold, member) {
            (false, Some(name)) => name,
            _ => s
                .leads
                .first()
                .map(|&l| last.agency(l).name.clone())
                .unwrap_or_default(),
        };
        rows.push(Row {
            label: task,
            sub,
            instances: vec![slot.name.clone()],
        });
    }
    if fold {
        for row in &mut rows {
            if row.instances.len() > 1 {
                row.sub = format!("{} instances", row.instances.len());
            }
        }
    }
    (rows, fold)
}

/// A lifecycle band of one instance.
struct Band<'a> {
    from: i64,
    to: i64,
    state: &'a State,
}

/// The bands of one instance from its events, the last one in `at_horizon` until
/// `until`, and the time it waited for its dependencies.
fn bands<'a>(
    events: &[&Event<'a>],
    at_horizon: &'a State,
    until: i64,
) -> (Vec<Band<'a>>, Option<(i64, i64)>) {
    let mut out = Vec::new();
    let at = |e: &&Event<'_>| e.effect.at.as_seconds();
    let Some(started) = events
        .iter()
        .find(|e| matches!(e.effect.kind, EffectKind::Started))
        .map(at)
    else {
        return (out, None);
    };
    let blocked = events
        .iter()
        .find(|e| matches!(e.effect.kind, EffectKind::Unblocked))
        .map(|e| (started, at(e)));
    let transitions: Vec<(i64, Option<&'a State>, Option<&'a State>)> = events
        .iter()
        .filter_map(|e| match e.effect.kind {
            EffectKind::Transitioned { from, to, .. } => Some((at(e), e.state(from), e.state(to))),
            _ => None,
        })
        .collect();
    let mut state = transitions
        .first()
        .and_then(|&(_, from, _)| from)
        .unwrap_or(at_horizon);
    let mut since = started;
    for (at, _, to) in transitions {
        let Some(to) = to else {
            continue;
        };
        if to.id == state.id {
            continue;
        }
        if at > since {
            out.push(Band {
                from: since,
                to: at,
                state,
            });
        }
        state = to;
        since = at;
    }
    if until > since {
        out.push(Band {
            from: since,
            to: until,
            state,
        });
    }
    (out, blocked)
}

/// Local midnights from the day of `start` through `until`.
fn midnights(start: i64, until: i64, offset: i64) -> Vec<i64> {
    let first = (start + offset).div_euclid(DAY) * DAY - offset;
    let mut days = Vec::new();
    let mut t = first;
    while t <= until {
        days.push(t);
        t += DAY;
    }
    days
}

/// Monday = 0.
fn weekday(midnight: i64, offset: i64) -> i64 {
    ((midnight + offset).div_euclid(DAY) + 3).rem_euclid(7)
}

/// The geometry of the timeline figure: where the plot sits and how time maps to x.
struct Frame {
    width: f64,
    left: f64,
    top: f64,
    row_h: f64,
    bar_h: f64,
    height: f64,
    start: i64,
    until: i64,
}

impl Frame {
    fn new(start: i64, until: i64, rows: usize) -> Self {
        let top = 40.0;
        let row_h = 30.0;
        Frame {
            width: 1160.0,
            left: 330.0,
            top,
            row_h,
            bar_h: 14.0,
            height: top + row_h * rows as f64 + 8.0,
            start,
            until,
        }
    }

    fn plot_w(&self) -> f64 {
        const RIGHT: f64 = 16.0;
        self.width - self.left - RIGHT
    }

    fn span(&self) -> f64 {
        (self.until - self.start) as f64
    }

    /// The x of an instant, clamped to the plotted period.
    fn x(&self, t: i64) -> f64 {
        self.left
            + self.plot_w() * ((t.clamp(self.start, self.until) - self.start) as f64 / self.span())
    }
}

pub(super) fn timeline(out: &mut String, ctx: &Context<'_>, representative_index: usize) {
    out.push_str("<section>\n<h2>1. A typical run, task by task</h2>\n");
    let start = ctx.start;
    let until = ctx.until.max(start + 3_600);
    let (rows, fold) = timeline_rows(ctx);
    w!(
        out,
        "<p class=\"explain\">Run no. {} is the one whose overall finish is the median of all {} runs. Each bar shows a \
         task{} from when it was assigned until the end of the simulated period, coloured by its state; red lines mark \
         its deadlines and the symbols mark reminders, warnings and escalations. Shaded columns are days off (weekends \
         and holidays of the directive's calendar). Hover over a symbol for details.</p>\n",
        representative_index + 1,
        ctx.report.runs,
        if fold {
            " (all instances of a task folded into one row, one thin lane each)"
        } else {
            " instance"
        }
    );
    let frame = Frame::new(start, until, rows.len());
    w!(
        out,
        "<div class=\"figure\"><svg class=\"gantt\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"Timeline of the \
         typical run\" xmlns=\"http://www.w3.org/2000/svg\">\n",
        w = n(frame.width),
        h = n(frame.height)
    );
    out.push_str(
        "<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" \
         patternTransform=\"rotate(45)\"><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#4a5568\" \
         stroke-width=\"1.6\" stroke-opacity=\"0.55\"/></pattern></defs>\n",
    );
    // Row stripes.
    for (i, _) in rows.iter().enumerate() {
        if i % 2 == 1 {
            w!(
                out,
                "<rect x=\"0\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#f4f6f9\"/>\n",
                n(frame.top + frame.row_h * i as f64),
                n(frame.width),
                n(frame.row_h)
            );
        }
    }
    day_grid(out, ctx, &frame);
    for (i, row) in rows.iter().enumerate() {
        timeline_row(out, ctx, &frame, i, row);
    }
    w!(
        out,
        "<line x1=\"{l}\" y1=\"{t}\" x2=\"{l}\" y2=\"{}\" stroke=\"#718096\" stroke-width=\"1\"/>\n",
        n(frame.height - 8.0),
        l = n(frame.left),
        t = n(frame.top - 6.0)
    );
    out.push_str("</svg></div>\n");
    gantt_legend(out, ctx);
    out.push_str("</section>\n");
}

/// The day grid: days off shaded (from the calendar), a line at each midnight, and the
/// weekday and date of every day that has room for a label.
fn day_grid(out: &mut String, ctx: &Context<'_>, frame: &Frame) {
    let (start, until, top, height) = (frame.start, frame.until, frame.top, frame.height);
    let offset = i64::from(ctx.offset.whole_seconds());
    let days = midnights(start, until, offset);
    let day_w = frame.plot_w() * DAY as f64 / frame.span();
    let label_every = ((36.0 / day_w).ceil() as usize).max(1);
    for (i, &m) in days.iter().enumerate() {
        let x0 = frame.x(m);
        let x1 = frame.x(m + DAY);
        let wd = weekday(m, offset);
        let day_off = !ctx
            .workflow
            .calendar()
            .is_working_day_at(Timestamp::from_seconds(m));
        if day_off && x1 > x0 {
            w!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#e9edf2\" fill-opacity=\"0.7\"/>\n",
                n(x0),
                n(top),
                n(x1 - x0),
                n(height - top - 8.0)
            );
        }
        if m >= start {
            w!(
                out,
                "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"#cfd6df\" stroke-width=\"0.7\"/>\n",
                n(top - 6.0),
                n(height - 8.0),
                x = n(x0)
            );
        }
        let noon = m + DAY / 2;
        if i % label_every == 0 && (start..=until).contains(&noon) {
            let short = Timestamp::from_seconds(m).to_short(ctx.offset);
            let label = format!(
                "{}/{}",
                short.get(8..10).unwrap_or(""),
                short.get(5..7).unwrap_or("")
            );
            let name = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][wd as usize];
            let cx = frame.x(noon);
            w!(
                out,
                "<text x=\"{cx}\" y=\"{}\" class=\"axis-sm\" text-anchor=\"middle\">{name}</text>\
                 <text x=\"{cx}\" y=\"{}\" class=\"axis\" text-anchor=\"middle\">{label}</text>\n",
                n(top - 22.0),
                n(top - 10.0),
                cx = n(cx)
            );
        }
    }
}

/// One row: its labels, then a lane per instance; deadlines and escalation marks are
/// drawn after every lane's bands, so no band covers them.
fn timeline_row(out: &mut String, ctx: &Context<'_>, frame: &Frame, i: usize, row: &Row) {
    let y = frame.top + frame.row_h * i as f64;
    let cy = y + frame.row_h / 2.0;
    w!(
        out,
        "<text x=\"{}\" y=\"{}\" class=\"row-label\" text-anchor=\"end\">{}<title>{}</title></text>\n",
        n(frame.left - 10.0),
        n(cy - 2.0),
        escape(&row.label),
        escape(ctx.task_gloss(&row.label).unwrap_or(&row.label))
    );
    w!(
        out,
        "<text x=\"{}\" y=\"{}\" class=\"row-sub\" text-anchor=\"end\" lang=\"vi\">{}<title>{}</title></text>\n",
        n(frame.left - 10.0),
        n(cy + 10.0),
        escape(&truncate(&row.sub, 56)),
        escape(&row.sub)
    );
    let lanes = row.instances.len().max(1) as f64;
    let lane_h = frame.bar_h / lanes;
    let mut markers = String::new();
    for (lane, name) in row.instances.iter().enumerate() {
        let ly = cy - frame.bar_h / 2.0 + lane_h * lane as f64;
        instance_lane(out, &mut markers, ctx, frame, name, (ly, lane_h));
    }
    out.push_str(&markers);
}

/// One instance's lane at `ly` of height `lane_h`: its state bands and the time it waited
/// for prerequisites into `out`, its deadlines and escalation marks into `markers`.
fn instance_lane(
    out: &mut String,
    markers: &mut String,
    ctx: &Context<'_>,
    frame: &Frame,
    name: &str,
    (ly, lane_h): (f64, f64),
) {
    let x = |t: i64| frame.x(t);
    let (start, until) = (frame.start, frame.until);
    let events: Vec<&Event<'_>> = ctx.events.iter().filter(|e| e.task == name).collect();
    let status = ctx
        .status
        .iter()
        .find(|s| ctx.run.instance.workflow().task_slot(s.task).name == *name);
    let last = ctx.run.instance.workflow();
    let Some(at_horizon) = status.and_then(|s| last.machine_of(s.task).states.get(s.state.index()))
    else {
        return;
    };
    let (bands, blocked) = bands(&events, at_horizon, until);
    for band in &bands {
        let (fill, label) = state_style(ctx, band.state);
        let (by, bh) = if is_done(band.state) {
            (ly + lane_h * 0.3, lane_h * 0.4)
        } else {
            (ly, lane_h)
        };
        w!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\"><title>{}: {} ({} – {})</title></rect>\n",
            n(x(band.from)),
            n(by),
            n((x(band.to) - x(band.from)).max(0.5)),
            n(bh),
            escape(name),
            escape(label),
            escape(&ctx.short(band.from)),
            escape(&ctx.short(band.to))
        );
    }
    if let Some((from, to)) = blocked
        && to > from
    {
        w!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"url(#hatch)\"><title>{}: waiting for \
                 prerequisite tasks until {}</title></rect>\n",
            n(x(from)),
            n(ly),
            n(x(to) - x(from)),
            n(lane_h),
            escape(name),
            escape(&ctx.short(to))
        );
    }
    // Deadlines: from overdue and rescheduled effects, and the due time at the horizon.
    let mut dues: Vec<i64> = events
        .iter()
        .filter_map(|e| match e.effect.kind {
            EffectKind::Overdue { due } | EffectKind::Rescheduled { due } => Some(due.as_seconds()),
            _ => None,
        })
        .chain(status.and_then(|s| s.due).map(Timestamp::as_seconds))
        .filter(|&d| d >= start && d <= until)
        .collect();
    dues.sort_unstable();
    dues.dedup();
    for due in dues {
        w!(
            markers,
            "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" class=\"due\"><title>{}: due {}</title></line>\n",
            n(ly - 3.0),
            n(ly + lane_h + 3.0),
            escape(name),
            escape(&ctx.short(due)),
            x = n(x(due))
        );
    }
    for e in &events {
        let Some((mark, level, target)) = Mark::of(&e.effect.kind) else {
            continue;
        };
        let at = e.effect.at.as_seconds();
        let tip = format!(
            "{}: {} {} (level {}) at {}",
            name,
            mark.words(),
            e.workflow.agency(target).name,
            level,
            ctx.short(at)
        );
        markers.push_str(&marker(mark, x(at), ly + lane_h / 2.0, &escape(&tip)));
    }
}

/// What an escalation level did, as the timeline marks it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mark {
    Remind,
    Warn,
    Escalate,
    Reassign,
}

impl Mark {
    /// The mark of an escalation effect, its level and whom it addressed; `None` for an
    /// effect that is not an escalation level's.
    fn of(kind: &EffectKind) -> Option<(Self, u8, AgencyId)> {
        match *kind {
            EffectKind::Reminded { level, target } => Some((Self::Remind, level, target)),
            EffectKind::Warned { level, target } => Some((Self::Warn, level, target)),
            EffectKind::Escalated { level, target } => Some((Self::Escalate, level, target)),
            EffectKind::Reassigned { level, target } => Some((Self::Reassign, level, target)),
            _ => None,
        }
    }

    /// The tooltip's words before the agency.
    fn words(self) -> &'static str {
        match self {
            Self::Remind => "reminder to",
            Self::Warn => "formal warning to",
            Self::Escalate => "escalated to",
            Self::Reassign => "reassigned to",
        }
    }
}

/// An escalation symbol centred at (`x`, `y`); `tip` is already escaped.
fn marker(mark: Mark, x: f64, y: f64, tip: &str) -> String {
    match mark {
        Mark::Remind => format!(
            "<circle cx=\"{}\" cy=\"{}\" r=\"3.6\" class=\"m-remind\"><title>{tip}</title></circle>\n",
            n(x),
            n(y)
        ),
        Mark::Warn => format!(
            "<path d=\"M{} {}l4.6 8h-9.2z\" class=\"m-warn\"><title>{tip}</title></path>\n",
            n(x),
            n(y - 5.0)
        ),
        Mark::Escalate => format!(
            "<path d=\"M{} {}l5 5-5 5-5-5z\" class=\"m-escalate\"><title>{tip}</title></path>\n",
            n(x),
            n(y - 5.0)
        ),
        Mark::Reassign => format!(
            "<rect x=\"{}\" y=\"{}\" width=\"8\" height=\"8\" class=\"m-reassign\"><title>{tip}</title></rect>\n",
            n(x - 4.0),
            n(y - 4.0)
        ),
    }
}

fn gantt_legend(out: &mut String, ctx: &Context<'_>) {
    // The states the run went through, then those at the horizon, one per id.
    let mut states: Vec<&State> = Vec::new();
    let last = ctx.run.instance.workflow();
    let at_horizon = ctx
        .status
        .iter()
        .filter_map(|s| last.machine_of(s.task).states.get(s.state.index()));
    let transitions = ctx.events.iter().flat_map(|e| match e.effect.kind {
        EffectKind::Transitioned { from, to, .. } => [e.state(from), e.state(to)],
        _ => [None, None],
    });
    for s in transitions.flatten().chain(at_horizon) {
        if !states.iter().any(|t| t.id == s.id) {
            states.push(s);
        }
    }
    // The built-in lifecycles' states in their order, then the done states, then the rest.
    let order = [
        "assigned",
        "acknowledged",
        "in_progress",
        "reported",
        "reporting",
    ];
    states.sort_by_key(|s| {
        let rank = if is_done(s) {
            order.len()
        } else {
            order
                .iter()
                .position(|o| *o == s.id)
                .unwrap_or(order.len() + 1)
        };
        (rank, s.id.clone())
    });
    out.push_str("<ul class=\"legend\">\n");
    let mut seen_labels: Vec<&str> = Vec::new();
    for s in states {
        let (fill, label) = state_style(ctx, s);
        if seen_labels.contains(&label) {
            continue;
        }
        seen_labels.push(label);
        let label = if label == "Other state" {
            s.id.as_str()
        } else {
            label
        };
        let (height, y) = if is_done(s) {
            ("5", "3.5")
        } else {
            ("12", "0")
        };
        w!(
            out,
            "<li><svg width=\"22\" height=\"12\" viewBox=\"0 0 22 12\"><rect x=\"0\" y=\"{y}\" width=\"22\" \
             height=\"{height}\" fill=\"{fill}\"/></svg>{}</li>\n",
            escape(label)
        );
    }
    out.push_str(
        "<li><svg width=\"22\" height=\"12\" viewBox=\"0 0 22 12\"><rect width=\"22\" height=\"12\" fill=\"#c3cad5\"/>\
         <rect width=\"22\" height=\"12\" fill=\"url(#hatch)\"/></svg>Waiting for prerequisite tasks</li>\n",
    );
    out.push_str(
        "<li><svg width=\"12\" height=\"16\" viewBox=\"0 0 12 16\"><line x1=\"6\" y1=\"0\" x2=\"6\" y2=\"16\" \
         class=\"due\"/></svg>Deadline</li>\n",
    );
    let reassigned = ctx
        .events
        .iter()
        .any(|e| matches!(e.effect.kind, EffectKind::Reassigned { .. }));
    for (mark, label) in [
        (Mark::Remind, "Reminder"),
        (Mark::Warn, "Formal warning"),
        (Mark::Escalate, "Escalation to a higher body"),
        (Mark::Reassign, "Reassignment"),
    ] {
        if mark == Mark::Reassign && !reassigned {
            continue;
        }
        w!(
            out,
            "<li><svg width=\"14\" height=\"14\" viewBox=\"0 0 14 14\">{}</svg>{label}</li>\n",
            marker(mark, 7.0, 7.0, label)
        );
    }
    out.push_str("</ul>\n");
}
