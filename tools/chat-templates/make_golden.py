#!/usr/bin/python3
"""Golden renderings of chat templates, made with Python's jinja2 configured as Hugging Face transformers
configures it (src/transformers/utils/chat_template_utils.py, _compile_jinja_template):
ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols]), a tojson filter
that is json.dumps(ensure_ascii=False, indent, separators, sort_keys), the raise_exception and strftime_now
globals. Variables are those of tokenizer.apply_chat_template(messages, add_generation_prompt=...,
tokenize=False): messages, tools=None, documents=None, add_generation_prompt and the special tokens map
(bos_token, eos_token, unk_token, sep_token, pad_token, cls_token, mask_token, additional_special_tokens) from
tokenizer_config.json, where a token is a string or an AddedToken object {"content": ...}.

strftime_now uses a fixed time (FIXED_NOW) so that templates which print the date are reproducible; the Java
tests give ChatTemplate the same clock.

Run from the repository root with Debian's python3-jinja2 (3.1.x):
    /usr/bin/python3 tools/chat-templates/make_golden.py
It reads model-core/src/test/resources/chat-templates/*/tokenizer_config.json and conversations.json and writes
golden.json beside them.
"""
import datetime
import json
import os
import sys

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = os.path.join("model-core", "src", "test", "resources", "chat-templates")
FIXED_NOW = datetime.datetime(2024, 7, 26, 9, 5, 3)
SPECIAL_TOKENS = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"]


def environment():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt):
        return FIXED_NOW.strftime(fmt)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def token_text(value):
    return value["content"] if isinstance(value, dict) else value


def special_tokens(config):
    out = {}
    for key in SPECIAL_TOKENS:
        if config.get(key) is not None:
            out[key] = token_text(config[key])
    if config.get("additional_special_tokens"):
        out["additional_special_tokens"] = [token_text(t) for t in config["additional_special_tokens"]]
    return out


def chat_template(config):
    template = config["chat_template"]
    if isinstance(template, list):
        template = {t["name"]: t["template"] for t in template}["default"]
    return template


def main():
    print("jinja2", jinja2.__version__, file=sys.stderr)
    env = environment()
    conversations = json.load(open(os.path.join(ROOT, "conversations.json"), encoding="utf-8"))
    cases = []
    for name in sorted(os.listdir(ROOT)):
        path = os.path.join(ROOT, name, "tokenizer_config.json")
        if not os.path.isfile(path):
            continue
        config = json.load(open(path, encoding="utf-8"))
        template = env.from_string(chat_template(config))
        for conv in conversations:
            variables = dict(special_tokens(config))
            variables.update(messages=conv["messages"], tools=None, documents=None,
                             add_generation_prompt=conv["add_generation_prompt"])
            case = {"template": name, "conversation": conv["name"]}
            try:
                case["expected"] = template.render(**variables)
            except jinja2.exceptions.TemplateError as e:
                case["error"] = str(e)
            cases.append(case)
    with open(os.path.join(ROOT, "golden.json"), "w", encoding="utf-8") as f:
        json.dump({"jinja2": jinja2.__version__, "fixed_now": FIXED_NOW.isoformat(), "cases": cases}, f,
                  indent=1, ensure_ascii=False)
        f.write("\n")
    print(len(cases), "cases", file=sys.stderr)


if __name__ == "__main__":
    main()
