"""An evaluator's run: simulate a small municipality, compute the metrics the effect study
needs, and write a pseudonymised export (CSV, Parquet, plots and a report) into
./evaluation-example/. Needs the evaluation extra: pip install "oneplan[evaluation]"."""

from datetime import UTC, datetime

from oneplan import Keys, Municipality, OnePlan, Principal, Pseudonymiser, evaluate, simulate

# Every command of the simulation lies in the past: give the record a clock after it.
# Throwaway keys: the synthetic citizens' personal fields are sealed as real ones would be
# (the metrics read none of them but the birth date, for an age band at entry).
after = datetime(2026, 1, 1, tzinfo=UTC)
with OnePlan.open("memory://", clock=lambda: after, keys=Keys.generate()) as app:
    summary = simulate(app, citizens=60, seed=42, municipality=Municipality(years=2))
    print(
        f"simulated {summary.citizens} citizens, {summary.plans} plans, "
        f"{summary.interventions} interventions"
    )

    # The evaluation job reads every event (logged once, as an extract of the whole record),
    # by effective time up to the last event.
    evaluation = evaluate(app.as_(Principal.system("evaluation")).evaluation_events())

key = Pseudonymiser.generate()  # one key per evaluation: keep it apart from the export
tables = evaluation.tables(key)  # polars DataFrames; .to_pandas() with pandas + pyarrow
# Plan against comparison: the difference of means with its Welch 95% interval.
print(
    tables["comparison"].select(
        "metric", "mean_plan", "mean_comparison", "difference_of_means", "ci_low", "ci_high"
    )
)
# Outcomes, with a row for those not followed up (yet), and the share in work or
# education by 12 and 24 months since entry (Kaplan-Meier, 95% interval).
print(tables["outcomes"].select("cohort", "outcome", "citizens", "share_of_cohort"))
incidence = tables["cumulative_incidence"]
print(incidence.filter(incidence["month"].is_in([12, 24])))
# One row per citizen and month: in plan, interventions running, costs, outcome state.
print(f"panel: {tables['panel'].height} citizen-months, {len(tables['panel'].columns)} columns")

written = evaluation.write("evaluation-example", key, coarsen_dates=True)
print(f"wrote {len(written)} files; see evaluation-example/report.md")
