"""Container build and run definitions -> `Loaded`: Dockerfiles and ECS task definitions.

* `load_dockerfile(path)`: one `RailGuard::Docker::Dockerfile` resource per file (see
  `dockerfile.py` for its properties), inline ignores from `# railguard:ignore CONTROL_ID reason`
  comments, and a `ParseError` with the line for input that is not a Dockerfile.
* `load_task_definition(path)`: the JSON of `aws ecs register-task-definition --cli-input-json`
  or of `aws ecs describe-task-definition` (camelCase) as one `AWS::ECS::TaskDefinition` in
  CloudFormation casing, so the controls written for templates read it unchanged.

Sources read, they never decide: the controls are in `railguard/controls/docker.py` and
`railguard/controls/ecs.py`.
"""

from railguard.sources.containers.dockerfile import DOCKERFILE_TYPE, load_dockerfile, parse_dockerfile
from railguard.sources.containers.taskdef import (
    TASK_DEFINITION_TYPE,
    load_task_definition,
    parse_task_definition,
)

__all__ = [
    "DOCKERFILE_TYPE",
    "TASK_DEFINITION_TYPE",
    "load_dockerfile",
    "load_task_definition",
    "parse_dockerfile",
    "parse_task_definition",
]
