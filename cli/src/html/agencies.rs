//! Sections 4 to 6: escalations by level, the agency table and what each agency received.

use super::*;

/// Background for a heat value in [0, 1] and whether the text should be light.
fn heat(t: f64) -> (String, bool) {
    let t = t.clamp(0.0, 1.0).sqrt();
    let lerp = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round() as u8;
    let (r, g, b) = (lerp(0xf7, 0x8b), lerp(0xf4, 0x1e), lerp(0xee, 0x1e));
    (format!("#{r:02x}{g:02x}{b:02x}"), t > 0.55)
}

fn describe_level(ctx: &Context<'_>, level: &Level) -> String {
    let action = match level.action {
        EscalationAction::Remind => "Reminder to",
        EscalationAction::Warn => "Formal warning to",
        EscalationAction::Escalate => "Escalation to",
        EscalationAction::Reassign => "Reassignment to",
    };
    let target = match level.target {
        Target::Lead => "the lead agency".to_owned(),
        Target::Parent => "the lead's parent body".to_owned(),
        Target::Supervisor => "the supervising body".to_owned(),
        Target::SupervisorParent => "the supervisor's parent body".to_owned(),
        Target::Issuer => "the issuing body".to_owned(),
        Target::ParentIssuer => "the issuer of the parent directive".to_owned(),
        Target::Agency(a) => ctx.workflow.agency(a).name.clone(),
    };
    let after = level.after.as_seconds();
    let when = match (&level.entered, after) {
        (None, 0) => "as soon as the deadline passes".to_owned(),
        (None, _) => format!("{} after the deadline", level.after),
        (Some(state), 0) => format!("on entering “{state}”"),
        (Some(state), _) => format!("{} after entering “{state}”", level.after),
    };
    let repeat = level
        .repeat
        .map_or_else(String::new, |r| format!(", repeated every {r}"));
    format!("{action} {target}, {when}{repeat}")
}

pub(super) fn escalation_heatmap(out: &mut String, ctx: &Context<'_>) {
    out.push_str("<section>\n<h2>4. Reminders and escalations by task and level</h2>\n");
    let workflow = ctx.workflow;
    let levels = ctx
        .report
        .tasks
        .iter()
        .map(|t| t.escalations_by_level.len())
        .max()
        .unwrap_or(0);
    if levels == 0 {
        out.push_str("<p>No task has an escalation policy.</p>\n</section>\n");
        return;
    }
    let peak = ctx
        .report
        .tasks
        .iter()
        .flat_map(|t| t.escalations_by_level.iter().copied())
        .fold(0.0f64, f64::max);
    out.push_str(
        "<p class=\"explain\">Average number of reminders, warnings and escalations per run, by task and by level of \
         the task's escalation policy (level 1 is the mildest). Darker cells fire more often. What each level means \
         depends on the policy: see the key below the table; hover over a cell for its meaning.</p>\n",
    );
    out.push_str(
        "<div class=\"table-wrap\"><table class=\"heat\">\n<thead><tr><th>Task</th><th>Policy</th>",
    );
    for l in 1..=levels {
        w!(out, "<th class=\"c\">Level {l}</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    let mut used: Vec<usize> = Vec::new();
    for t in &ctx.report.tasks {
        let policy_index = workflow
            .task_id(&t.task)
            .and_then(|id| workflow.task(id).policy);
        let policy = policy_index.and_then(|p| workflow.policies().get(p));
        if let Some(p) = policy_index
            && !used.contains(&p)
        {
            used.push(p);
        }
        w!(
            out,
            "<tr><th class=\"rowh\"><code>{}</code></th><td class=\"pol\">{}</td>",
            escape(&t.task),
            policy.map_or_else(|| "—".to_owned(), |p| escape(&p.id))
        );
        for l in 0..levels {
            match t.escalations_by_level.get(l) {
                Some(&v) => {
                    let (bg, light) = heat(if peak > 0.0 { v / peak } else { 0.0 });
                    let meaning = policy
                        .and_then(|p| p.levels.get(l))
                        .map_or_else(String::new, |level| describe_level(ctx, level));
                    w!(
                        out,
                        "<td class=\"c{}\" style=\"background:{bg}\" title=\"{}\">{}</td>",
                        if light { " light" } else { "" },
                        escape(&format!(
                            "{} · level {}: {} — {:.2} per run",
                            t.task,
                            l + 1,
                            meaning,
                            v
                        )),
                        if v == 0.0 {
                            "0".to_owned()
                        } else {
                            format!("{v:.2}")
                        }
                    );
                }
                None => out.push_str("<td class=\"c na\">·</td>"),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n<div class=\"policies\">\n");
    used.sort_unstable();
    for p in used {
        let Some(policy) = workflow.policies().get(p) else {
            continue;
        };
        let tasks: Vec<&str> = workflow
            .tasks()
            .iter()
            .filter(|t| t.policy == Some(p))
            .map(|t| t.id.as_str())
            .collect();
        w!(
            out,
            "<div class=\"policy\"><h3>Policy <code>{}</code></h3><p class=\"gloss-sm\">Used by {}</p><ol>",
            escape(&policy.id),
            escape(&tasks.join(", "))
        );
        for level in &policy.levels {
            w!(out, "<li>{}</li>", escape(&describe_level(ctx, level)));
        }
        out.push_str("</ol></div>\n");
    }
    out.push_str("</div>\n</section>\n");
}

pub(super) fn agency_table(out: &mut String, ctx: &Context<'_>) {
    out.push_str("<section>\n<h2>5. Agencies: where the delays come from</h2>\n");
    out.push_str(
        "<p class=\"explain\">Agencies ranked as bottlenecks first (most hours late per run, summed over the task \
         instances they lead), then the others. <b>On critical path</b>: share of runs in which the agency led a task \
         on the critical path. <b>Caused</b>: reminders, warnings and escalations per run about tasks it leads. \
         <b>Received</b>: those addressed to it.</p>\n",
    );
    let agencies = &ctx.report.agencies;
    let mut order: Vec<usize> = ctx
        .report
        .bottlenecks
        .iter()
        .filter_map(|id| agencies.iter().position(|a| &a.agency == id))
        .collect();
    let mut rest: Vec<usize> = (0..agencies.len()).filter(|i| !order.contains(i)).collect();
    rest.sort_by(|&a, &b| {
        let (a, b) = (&agencies[a], &agencies[b]);
        b.late_hours
            .total_cmp(&a.late_hours)
            .then(b.escalations_received.total_cmp(&a.escalations_received))
            .then(a.agency.cmp(&b.agency))
    });
    let ranked = order.len();
    order.extend(rest);
    let max_late = agencies.iter().map(|a| a.late_hours).fold(0.0f64, f64::max);
    out.push_str(
        "<div class=\"table-wrap\"><table class=\"data\">\n<thead><tr><th class=\"r\">Rank</th><th>Agency</th>\
         <th>Late per run</th><th>On critical path</th><th class=\"r\">Caused</th><th class=\"r\">Received</th></tr>\
         </thead>\n<tbody>\n",
    );
    for (pos, &i) in order.iter().enumerate() {
        let a = &agencies[i];
        let rank = if pos < ranked {
            (pos + 1).to_string()
        } else {
            String::new()
        };
        w!(
            out,
            "<tr{}><td class=\"r\">{rank}</td><td><span class=\"vi\" lang=\"vi\">{}</span>",
            if pos == 0 && ranked > 0 {
                " class=\"top\""
            } else {
                ""
            },
            escape(&a.name)
        );
        if let Some(gloss) = ctx.agency_gloss(&a.agency) {
            w!(
                out,
                "<div class=\"gloss-sm\">{} · <code>{}</code></div>",
                escape(gloss),
                escape(&a.agency)
            );
        } else {
            w!(
                out,
                "<div class=\"gloss-sm\"><code>{}</code></div>",
                escape(&a.agency)
            );
        }
        let late_w = if max_late > 0.0 {
            a.late_hours / max_late
        } else {
            0.0
        };
        w!(
            out,
            "</td><td class=\"barcell\"><div class=\"pbar\"><span class=\"late\" style=\"width:{}%\"></span></div>\
             <span class=\"num\">{}</span></td><td class=\"barcell\">{}</td><td class=\"r\">{:.2}</td><td class=\"r\">{:.2}</td></tr>\n",
            n(late_w * 100.0),
            if a.late_hours > 0.0 {
                duration_short(a.late_hours)
            } else {
                "—".to_owned()
            },
            bar(a.criticality_index, "crit"),
            a.escalations_caused,
            a.escalations_received
        );
    }
    out.push_str("</tbody>\n</table></div>\n</section>\n");
}

/// Agency × level counts of what the typical run addressed to each agency.
/// The agency × escalation-level heatmap, averaged over every run: for each agency, how
/// often tasks it leads drew a reminder, warning or escalation at each level.
pub(super) fn received_heatmap(out: &mut String, ctx: &Context<'_>) {
    let levels = ctx
        .report
        .agencies
        .iter()
        .map(|a| a.escalations_caused_by_level.len())
        .max()
        .unwrap_or(0);
    let mut rows: Vec<&directrix_core::simulation::AgencyStats> = ctx
        .report
        .agencies
        .iter()
        .filter(|a| a.escalations_caused_by_level.iter().any(|v| *v > 0.0))
        .collect();
    if rows.is_empty() || levels == 0 {
        return;
    }
    rows.sort_by(|a, b| {
        b.escalations_caused
            .total_cmp(&a.escalations_caused)
            .then(a.agency.cmp(&b.agency))
    });
    let peak = rows
        .iter()
        .flat_map(|a| a.escalations_caused_by_level.iter().copied())
        .fold(0.0f64, f64::max);
    out.push_str("<section>\n<h2>6. Which agencies draw escalations, by level</h2>\n");
    out.push_str(
        "<p class=\"explain\">Average number per run of reminders, warnings and escalations about tasks each agency \
         leads, by escalation level (level 1 is the mildest), over all runs. Darker cells fire more often; the \
         highest levels mean the matter went above the agency.</p>\n",
    );
    out.push_str(
        "<div class=\"table-wrap\"><table class=\"heat\">\n<thead><tr><th>Lead agency</th>",
    );
    for l in 1..=levels {
        w!(out, "<th class=\"c\">Level {l}</th>");
    }
    out.push_str("<th class=\"c\">Total</th></tr></thead>\n<tbody>\n");
    for agency in rows {
        w!(
            out,
            "<tr><th class=\"rowh\"><span lang=\"vi\">{}</span> <code class=\"dim\">{}</code></th>",
            escape(&agency.name),
            escape(&agency.agency)
        );
        for l in 0..levels {
            let v = agency
                .escalations_caused_by_level
                .get(l)
                .copied()
                .unwrap_or(0.0);
            let (bg, light) = heat(if peak > 0.0 { v / peak } else { 0.0 });
            w!(
                out,
                "<td class=\"c{}\" style=\"background:{bg}\">{}</td>",
                if light { " light" } else { "" },
                if v == 0.0 {
                    "·".to_owned()
                } else {
                    format!("{v:.2}")
                }
            );
        }
        w!(
            out,
            "<td class=\"c total\">{:.2}</td></tr>\n",
            agency.escalations_caused
        );
    }
    out.push_str("</tbody>\n</table></div>\n</section>\n");
}
