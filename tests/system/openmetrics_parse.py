# SPDX-License-Identifier: Apache-2.0
"""Parses an OpenMetrics exposition with prometheus_client's parser (the reference one).

Prints one line per sample, `name{k="v",...} value` with labels sorted, and exits 1 with the
parser's message when the text is not valid OpenMetrics.
Usage: openmetrics_parse.py FILE
"""
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        text = f.read()
    try:
        lines = []
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
                braces = f"{{{labels}}}" if labels else ""
                lines.append(f"{sample.name}{braces} {sample.value!r}")
    except Exception as e:  # the parser raises ValueError and others
        print(f"not OpenMetrics: {e}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
