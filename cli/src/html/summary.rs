//! The header, the summary in words and the notes of the report.

use super::*;

pub(super) fn header(out: &mut String, ctx: &Context<'_>, representative_index: usize) {
    let d = ctx.workflow.directive();
    let issuer = &ctx.workflow.agency(d.issuer).name;
    out.push_str("<header class=\"masthead\">\n");
    out.push_str("<p class=\"kicker\">Simulation study of a directive · Monte Carlo report</p>\n");
    w!(
        out,
        "<h1><span lang=\"vi\">{}</span> số {}</h1>\n",
        escape(&d.kind),
        escape(&d.number)
    );
    w!(
        out,
        "<p class=\"subject\" lang=\"vi\">{}</p>\n",
        escape(&d.subject)
    );
    if let Some(gloss) = &d.subject_gloss {
        w!(out, "<p class=\"gloss\">{}</p>\n", escape(gloss));
    }
    out.push_str("<dl class=\"meta\">\n");
    let mut item = |term: &str, value: String| {
        w!(out, "<div><dt>{}</dt><dd>{}</dd></div>\n", term, value);
    };
    item(
        "Issued by",
        format!("<span lang=\"vi\">{}</span>", escape(issuer)),
    );
    item("Issued", escape(&ctx.short(d.issued_at.as_seconds())));
    item("Scenario", escape(&ctx.report.scenario));
    item("Runs", ctx.report.runs.to_string());
    item("Master seed", ctx.report.seed.to_string());
    item(
        "Simulated period",
        format!(
            "{} – {}",
            escape(&ctx.short(ctx.start)),
            escape(&ctx.short(ctx.until))
        ),
    );
    item(
        "Typical run shown",
        format!("no. {} (seed {})", representative_index + 1, ctx.run.seed),
    );
    out.push_str("</dl>\n</header>\n");
}

pub(super) fn summary(out: &mut String, ctx: &Context<'_>) {
    let report = ctx.report;
    let runs = report.runs.max(1);
    let finish = ctx.overall_finish();
    let all_done = finish.len() as f64 / runs as f64;
    let percentiles = Percentiles::of_sorted(&finish);
    let p50 = percentiles.map(|p| p.p50);
    let p90 = percentiles.map(|p| p.p90);
    let bottleneck = report
        .bottlenecks
        .first()
        .and_then(|id| report.agencies.iter().find(|a| &a.agency == id));

    out.push_str("<section class=\"summary\">\n<h2>Summary</h2>\n<div class=\"tiles\">\n");
    let mut tile = |value: String, label: &str| {
        w!(
            out,
            "<div class=\"tile\"><div class=\"value\">{value}</div><div class=\"label\">{label}</div></div>\n"
        );
    };
    tile(
        pct(all_done),
        "of runs finished every task within the simulated period",
    );
    tile(
        p50.map_or_else(|| "—".to_owned(), duration),
        "median time from issue until the last task was done",
    );
    tile(
        pct(report.top_level_probability),
        "of runs saw a matter reach the last step of its escalation policy",
    );
    tile(
        bottleneck.map_or_else(|| "—".to_owned(), |a| duration(a.late_hours)),
        "late per run at the main bottleneck agency (summed over its tasks)",
    );
    out.push_str("</div>\n<p class=\"lead\">");
    w!(
        out,
        "Across {} simulated runs of the scenario “{}”, every task of the directive was completed within the simulated \
         period in {} of runs",
        report.runs,
        escape(&report.scenario),
        pct(all_done)
    );
    match (p50, p90) {
        (Some(p50), Some(p90)) => w!(
            out,
            "; the last task was typically done {} after issue, and in 9 runs out of 10 within {}. ",
            duration(p50),
            duration(p90)
        ),
        _ => out.push_str(". "),
    }
    w!(
        out,
        "In {} of runs at least one matter reached the last step of its escalation policy{}. ",
        pct(report.top_level_probability),
        top_target_phrase(ctx)
    );
    let mut late: Vec<&directrix_core::simulation::TaskStats> = report.tasks.iter().collect();
    late.sort_by(|a, b| {
        a.on_time_probability
            .total_cmp(&b.on_time_probability)
            .then(a.task.cmp(&b.task))
    });
    let worst: Vec<String> = late
        .iter()
        .take(3)
        .filter(|t| t.on_time_probability < 0.8)
        .map(|t| {
            format!(
                "<code>{}</code> ({} on time)",
                escape(&t.task),
                pct(t.on_time_probability)
            )
        })
        .collect();
    if !worst.is_empty() {
        w!(
            out,
            "The tasks least often done on time are {}. ",
            join_words(&worst)
        );
    }
    if let Some(a) = bottleneck {
        w!(
            out,
            "The main bottleneck is <strong lang=\"vi\">{}</strong>: the tasks it leads were on average {} late per run \
             in total, and it led a task on the critical path in {} of runs.",
            escape(&a.name),
            duration(a.late_hours),
            pct(a.criticality_index)
        );
    }
    out.push_str("</p>\n</section>\n");
}

/// Who the last level of the policies addresses, when that is one named agency for most tasks.
fn top_target_phrase(ctx: &Context<'_>) -> String {
    let workflow = ctx.workflow;
    let mut counts: Vec<(String, usize)> = Vec::new();
    let mut with_policy = 0;
    for task in workflow.tasks() {
        let Some(policy) = task.policy.and_then(|p| workflow.policies().get(p)) else {
            continue;
        };
        with_policy += 1;
        if let Some(Level {
            target: Target::Agency(a),
            ..
        }) = policy.levels.last()
        {
            let name = workflow.agency(*a).name.clone();
            match counts.iter_mut().find(|(n, _)| *n == name) {
                Some((_, c)) => *c += 1,
                None => counts.push((name, 1)),
            }
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    match counts.first() {
        Some((name, c)) if *c == with_policy => {
            format!(", a report to <span lang=\"vi\">{}</span>", escape(name))
        }
        Some((name, c)) if 2 * c > with_policy => {
            format!(
                " (for most tasks, a report to <span lang=\"vi\">{}</span>)",
                escape(name)
            )
        }
        _ => String::new(),
    }
}

pub(super) fn notes(out: &mut String, ctx: &Context<'_>) {
    out.push_str("<section class=\"notes\">\n<h2>About this report</h2>\n<ul>\n");
    w!(
        out,
        "<li>The study simulated the directive {} times. In each run, every agency's response times are drawn at random \
         from the behaviour described in the scenario; deadlines, working days, reminders and escalations follow the \
         rules of the workflow. Run <i>i</i> uses a seed derived from the master seed {} and <i>i</i>, so the study \
         can be repeated exactly.</li>\n",
        ctx.report.runs,
        ctx.report.seed
    );
    out.push_str(
        "<li>Percentages are shares of runs (or of task instances, for “on time”); “per run” figures are averages over \
         all runs. Times are local times of the directive’s calendar.</li>\n",
    );
    out.push_str(
        "<li>The results describe the modelled behaviour, not a forecast: they are as good as the assumptions of the \
         scenario.</li>\n</ul>\n</section>\n",
    );
}
