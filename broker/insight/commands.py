"""`broker allocate`: an allocation run from the command line, with a progress bar."""
from __future__ import annotations

import click
from flask.cli import with_appcontext
from tqdm import tqdm


@click.command("allocate")
@click.option("--area", default=None, help="Only young people in this council area (default: every area).")
@with_appcontext
def allocate_command(area):
    """Run the matcher over every open need against current intakes and store the run."""
    from broker.extensions import db
    from broker.insight.allocation import RUN_STEPS, run_allocation
    from broker.councils import areas

    if area is not None and area not in areas():
        raise click.BadParameter(f"choose one of: {', '.join(areas())}", param_hint="--area")
    with tqdm(total=RUN_STEPS, desc="Allocation run", unit="step") as bar:
        def step(label):
            bar.update(1)
            bar.set_postfix_str(label)

        run = run_allocation(None, area, progress=step)
        db.session.commit()
    f = run.figures
    click.echo(
        f"Run {run.id} ({run.scope}, as of {run.as_of}): {f['met']} of {f['needs']} needs met "
        f"({f['pinned']} pinned), {f['unmet']} unmet ({f['unmet_capacity']} for capacity, "
        f"{f['unmet_no_eligible']} with no eligible provision); urgency-weighted {f['urgency_met']} of {f['urgency_needs']}; "
        f"mean wait {f['mean_wait_days']} days, mean distance {f['mean_km']} km; {f['seconds']} s."
    )
