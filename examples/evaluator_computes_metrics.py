"""An evaluator's run: simulate a small municipality, compute the metrics the effect study
needs, and write a pseudonymised export (CSV, Parquet, plots and a report) into
./evaluation-example/. Needs the evaluation extra: pip install "oneplan[evaluation]"."""

from datetime import UTC, datetime

from oneplan import Municipality, OnePlan, Pseudonymiser, evaluate, simulate

# Every command of the simulation lies in the past: give the record a clock after it.
with OnePlan.open("memory://", clock=lambda: datetime(2026, 1, 1, tzinfo=UTC)) as app:
    summary = simulate(app, citizens=60, seed=42, municipality=Municipality(years=2))
    print(
        f"simulated {summary.citizens} citizens, {summary.plans} plans, "
        f"{summary.interventions} interventions"
    )

    evaluation = evaluate(app.all_events())  # by effective time, up to the last event

key = Pseudonymiser.generate()  # one key per evaluation: keep it apart from the export
tables = evaluation.tables(key)  # polars DataFrames; .to_pandas() with pandas + pyarrow
print(tables["comparison"].select("metric", "mean_plan", "mean_comparison"))

written = evaluation.write("evaluation-example", key, coarsen_dates=True)
print(f"wrote {len(written)} files; see evaluation-example/report.md")
