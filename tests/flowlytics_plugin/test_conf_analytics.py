"""`[flowlytics]` settings for run analytics: the rate card and budgets, read through Airflow's config."""

from __future__ import annotations

import pytest

from flowlytics_plugin import conf
from flowlytics_plugin.provider_info import get_provider_info


def test_cost_rates_and_budgets_come_from_the_flowlytics_section(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW__FLOWLYTICS__COST_RATES",
        '{"currency": "EUR", "runtimePerHour": [{"pattern": "etl_*", "price": 0.5}], "bigquery": {"perTiB": 5}}',
    )
    monkeypatch.setenv("AIRFLOW__FLOWLYTICS__COST_BUDGETS", '[{"dagId": "etl_a", "monthly": 20}]')
    rates = conf.cost_rates()
    assert rates.currency == "EUR" and rates.runtime_price("airflow", "etl_a.t", "etl_a") == 0.5
    assert rates.bigquery_per_tib == 5
    assert [(b.dag_id, b.monthly_amount) for b in conf.cost_budgets()] == [("etl_a", 20.0)]
    monkeypatch.setenv("AIRFLOW__FLOWLYTICS__COST_RATES", "{not json")
    with pytest.raises(ValueError, match="cost_rates is not valid JSON"):
        conf.cost_rates()


def test_the_new_keys_are_documented_in_the_provider_config() -> None:
    options = get_provider_info()["config"]["flowlytics"]["options"]
    assert {"cost_rates", "cost_budgets"} <= set(options)
