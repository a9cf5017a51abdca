/// A Python script that drives the gateway with the official `openai` client and prints what it
/// saw as one JSON object. It reads `OPENCLAW_TEST_BASE_URL` (`http://127.0.0.1:<port>/v1`) and
/// `OPENCLAW_TEST_API_KEY` (the gateway token) from its environment, never from its arguments.
///
/// Exits 3 with `{"fatal": ...}` when the `openai` package cannot be imported.
enum OpenAIClientScript {
    static let source = #"""
    import json
    import os
    import sys

    try:
        import openai
    except ImportError as error:
        print(json.dumps({"fatal": "the Python package `openai` is missing (%s): run scripts/bootstrap.sh or python3 -m pip install openai" % error}))
        sys.exit(3)

    base_url = os.environ["OPENCLAW_TEST_BASE_URL"]
    api_key = os.environ["OPENCLAW_TEST_API_KEY"]
    client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=60)
    out = {"version": openai.__version__}

    completion = client.chat.completions.create(
        model="openclaw",
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello"}],
    )
    out["completion"] = {
        "id": completion.id,
        "object": completion.object,
        "model": completion.model,
        "role": completion.choices[0].message.role,
        "content": completion.choices[0].message.content,
        "finish_reason": completion.choices[0].finish_reason,
        "prompt_tokens": completion.usage.prompt_tokens,
        "completion_tokens": completion.usage.completion_tokens,
        "total_tokens": completion.usage.total_tokens,
    }

    stream = client.chat.completions.create(
        model="openclaw/main",
        messages=[{"role": "user", "content": [{"type": "text", "text": "Stream please"}]}],
        stream=True,
    )
    deltas, roles, finish_reasons, ids = [], [], [], set()
    for chunk in stream:
        ids.add(chunk.id)
        for choice in chunk.choices:
            if choice.delta.role:
                roles.append(choice.delta.role)
            if choice.delta.content:
                deltas.append(choice.delta.content)
            if choice.finish_reason:
                finish_reasons.append(choice.finish_reason)
    out["stream"] = {"deltas": deltas, "roles": roles, "finish_reasons": finish_reasons, "ids": sorted(ids)}

    models = client.models.list()
    out["models"] = [{"id": model.id, "object": model.object, "owned_by": model.owned_by} for model in models.data]
    out["retrieved"] = client.models.retrieve("openclaw").id

    def failure(call):
        try:
            call()
            return {"raised": None}
        except openai.APIStatusError as error:
            body = error.body if isinstance(error.body, dict) else {}
            return {"raised": type(error).__name__, "status": error.status_code, "message": error.message,
                    "type": body.get("type"), "code": body.get("code")}

    wrong = openai.OpenAI(base_url=base_url, api_key="not-the-token", max_retries=0, timeout=60)
    out["wrong_key"] = failure(lambda: wrong.chat.completions.create(model="openclaw", messages=[{"role": "user", "content": "hi"}]))
    out["bad_model"] = failure(lambda: client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}]))
    out["unknown_agent"] = failure(lambda: client.chat.completions.create(model="openclaw/nobody", messages=[{"role": "user", "content": "hi"}]))
    print(json.dumps(out))
    """#
}
