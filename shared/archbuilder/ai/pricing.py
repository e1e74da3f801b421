"""The versioned price table (``data/prices.yaml``) and the cost of one call."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from archbuilder.ai.language_model import TokenUsage

PRICES = Path(__file__).with_name("data") / "prices.yaml"


@dataclass(frozen=True)
class ModelPrice:
    """USD per ``per_tokens`` tokens."""

    input: float
    cached_input: float
    output: float


@dataclass(frozen=True)
class Cost:
    usd: float
    price_version: str
    priced_by_default: bool = False

    @property
    def micro_usd(self) -> int:
        return round(self.usd * 1_000_000)


@dataclass(frozen=True)
class PriceTable:
    version: str
    per_tokens: int
    models: dict[str, ModelPrice]
    default: ModelPrice

    def price(self, model: str) -> tuple[ModelPrice, bool]:
        found = self.models.get(model)
        return (found, False) if found is not None else (self.default, True)

    def cost(self, model: str, usage: TokenUsage) -> Cost:
        """Uncached input, cached input and output (reasoning included) at their own rates."""
        price, by_default = self.price(model)
        cached = min(usage.cached_tokens, usage.input_tokens)
        usd = (
            (usage.input_tokens - cached) * price.input
            + cached * price.cached_input
            + usage.output_tokens * price.output
        ) / self.per_tokens
        return Cost(usd=round(usd, 8), price_version=self.version, priced_by_default=by_default)

    def estimate(self, model: str, input_chars: int, max_output_tokens: int) -> float:
        """An upper estimate before the call: ~4 characters a token, the whole output allowance."""
        price, _ = self.price(model)
        return ((input_chars / 4) * price.input + max_output_tokens * price.output) / self.per_tokens


def _price(data: dict[str, Any]) -> ModelPrice:
    return ModelPrice(
        input=float(data["input"]), cached_input=float(data["cached_input"]), output=float(data["output"])
    )


@cache
def load_prices(path: Path = PRICES) -> PriceTable:
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return PriceTable(
        version=str(data["version"]),
        per_tokens=int(data["per_tokens"]),
        models={name: _price(p) for name, p in data["models"].items()},
        default=_price(data["default"]),
    )
