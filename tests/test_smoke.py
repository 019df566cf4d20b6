import subprocess
import sys
from pathlib import Path

from oneplan import OnePlan, PlanStatus
from tests.builders import open_plan, record


def test_a_plan_opened_with_a_coordinator_is_active(app: OnePlan) -> None:
    plan_id, _ = open_plan(app)
    assert record(app).plan(plan_id).status is PlanStatus.ACTIVE


def test_the_demo_runs_without_the_optional_extras(tmp_path: Path) -> None:
    """The README's first command installs oneplan without extras: nothing may import
    psycopg (the postgres extra), polars or matplotlib (the evaluation extra) on the way
    to ``oneplan demo`` on SQLite."""
    blocked = ["psycopg", "psycopg_pool", "polars", "matplotlib"]
    script = (
        "import sys\n"
        f"for name in {blocked!r}: sys.modules[name] = None  # import fails\n"
        "from oneplan.cli import main\n"
        f"sys.argv = ['oneplan', 'demo', '--db', {str(tmp_path / 'demo.db')!r}]\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Stored in sqlite" in done.stdout
