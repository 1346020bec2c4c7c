"""The ORM tables, and nothing else: logic lives in plain functions over frames."""

from fm.model.assets import (
    Asset,
    Inspection,
    RiskRun,
    RiskScore,
    WorkOrder,
)
from fm.model.base import Base
from fm.model.changes import AssetChange, DataChange, KeptFigures
from fm.model.duties import TrafficRestriction
from fm.model.land import LandParcel, ParcelUse
from fm.model.ledger import LedgerEntry
from fm.model.network import NetworkLine
from fm.model.people import ApiToken, AuditEntry, User
from fm.model.plans import IndividualPlan, PlanAsset, PlanBudgetItem, PlanWork
from fm.model.portfolio import DistrictPopulation, Service, ServiceBuilding, ServiceUsage
from fm.model.reference import AssetCategory, District, RenewalUnitCost
from fm.model.scenarios import PortfolioScenario, ScenarioAction
from fm.model.targets import IndicatorTarget

metadata = Base.metadata

__all__ = [
    "ApiToken",
    "Asset",
    "AssetCategory",
    "AuditEntry",
    "Base",
    "AssetChange",
    "DataChange",
    "District",
    "DistrictPopulation",
    "IndicatorTarget",
    "IndividualPlan",
    "KeptFigures",
    "Inspection",
    "LandParcel",
    "LedgerEntry",
    "NetworkLine",
    "ParcelUse",
    "PlanAsset",
    "PlanBudgetItem",
    "PlanWork",
    "PortfolioScenario",
    "RenewalUnitCost",
    "RiskRun",
    "RiskScore",
    "ScenarioAction",
    "Service",
    "ServiceBuilding",
    "ServiceUsage",
    "TrafficRestriction",
    "User",
    "WorkOrder",
    "metadata",
]
