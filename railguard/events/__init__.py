"""Events: CloudTrail records -> detections, and -> touched resources -> guardrails."""
