# A Python function run by awslambdaric under `perl-lambda serve -- python3 -m awslambdaric app.handler`.
import os
import time


def handler(event, context):
    action = event.get("action", "echo") if isinstance(event, dict) else "echo"
    if action == "sleep":
        time.sleep(event.get("seconds", 1))
    if action == "fail":
        raise ValueError("python says no")
    if action == "spawn":
        # a child that outlives the invocation, in the runtime's process group
        child = os.fork()
        if child == 0:
            os.execvp("sleep", ["sleep", "300"])
        return {"child": child, "pid": os.getpid()}
    print("python handler ran", context.aws_request_id)
    return {
        "runtime": "python",
        "event": event,
        "request_id": context.aws_request_id,
        "arn": context.invoked_function_arn,
        "function_name": os.environ.get("AWS_LAMBDA_FUNCTION_NAME"),
        "client_context": getattr(context.client_context, "custom", None) if context.client_context else None,
    }
