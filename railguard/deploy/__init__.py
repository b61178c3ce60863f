"""`railguard deploy` / `undeploy`: the EventBridge rule set, the queues and (optionally) the Lambda function."""

from railguard.deploy.plan import DeployPlan, build_plan
from railguard.deploy.resources import Step, apply_plan, undeploy

__all__ = ["DeployPlan", "Step", "apply_plan", "build_plan", "undeploy"]
