"""Bookkeeping of the suite: every numbered normative statement of MQTT
3.1.1 is either covered by a test named after it or listed, with the
reason, in the "Statements without a test" table of README.md. No server
is started here."""
import ast
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))

# Every [MQTT-x.y.z-n] statement of MQTT Version 3.1.1 (OASIS Standard,
# with Errata 01), in document order. The document prints
# [MQTT-3-8.3-4]; it is 3.8.3-4 here.
STATEMENTS = (
    ["1.5.3-%d" % i for i in range(1, 4)]
    + ["2.2.2-1", "2.2.2-2"]
    + ["2.3.1-%d" % i for i in range(1, 8)]
    + ["3.1.0-1", "3.1.0-2"]
    + ["3.1.2-%d" % i for i in range(1, 25)]
    + ["3.1.3-%d" % i for i in range(1, 12)]
    + ["3.1.4-%d" % i for i in range(1, 6)]
    + ["3.2.0-1"]
    + ["3.2.2-%d" % i for i in range(1, 7)]
    + ["3.3.1-%d" % i for i in range(1, 13)]
    + ["3.3.2-1", "3.3.2-2", "3.3.2-3", "3.3.4-1", "3.3.5-1", "3.3.5-2"]
    + ["3.6.1-1", "3.8.1-1"]
    + ["3.8.3-%d" % i for i in range(1, 5)]
    + ["3.8.4-%d" % i for i in range(1, 7)]
    + ["3.9.3-1", "3.9.3-2", "3.10.1-1", "3.10.3-1", "3.10.3-2"]
    + ["3.10.4-%d" % i for i in range(1, 7)]
    + ["3.12.4-1", "3.14.1-1", "3.14.4-1", "3.14.4-2", "3.14.4-3"]
    + ["4.1.0-1", "4.1.0-2", "4.3.1-1", "4.3.2-1", "4.3.2-2", "4.3.3-1",
       "4.3.3-2", "4.4.0-1", "4.5.0-1", "4.5.0-2"]
    + ["4.6.0-%d" % i for i in range(1, 7)]
    + ["4.7.1-1", "4.7.1-2", "4.7.1-3", "4.7.2-1"]
    + ["4.7.3-%d" % i for i in range(1, 5)]
    + ["4.8.0-1", "4.8.0-2"]
    + ["6.0.0-%d" % i for i in range(1, 5)]
    + ["7.0.0-1", "7.0.0-2", "7.1.1-1", "7.1.2-1"]
)

TEST_NAME = re.compile(r"^test_mqtt_(\d+)_(\d+)_(\d+)_(\d+)_[a-z0-9_]+$")


def statements_with_tests():
    """{statement id: [(file, test name)]} from the test function names."""
    found = {}
    for fn in sorted(os.listdir(HERE)):
        if not (fn.startswith("test_section_") and fn.endswith(".py")):
            continue
        with open(os.path.join(HERE, fn)) as f:
            tree = ast.parse(f.read())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and \
                    node.name.startswith("test_"):
                m = TEST_NAME.match(node.name)
                if m:
                    sid = "%s.%s.%s-%s" % m.groups()
                    found.setdefault(sid, []).append((fn, node.name))
                else:
                    assert node.name.startswith("test_mqtt31_"), \
                        "%s: %s is not named after a statement" % (
                            fn, node.name)
    return found


def statements_in_readme():
    """{statement id: reason} from the README table."""
    with open(os.path.join(HERE, "README.md")) as f:
        text = f.read()
    section = text.split("## Statements without a test", 1)[1]
    section = section.split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        m = re.match(r"^\| \[?MQTT-([\d.]+-\d+)\]? \| (.+?) \| (.+?) \|$",
                     line)
        if m:
            rows[m.group(1)] = m.group(3)
    return rows


def test_statement_list_is_well_formed():
    assert len(STATEMENTS) == len(set(STATEMENTS)) == 141


def test_every_statement_tested_or_explained():
    tested = statements_with_tests()
    untested = statements_in_readme()
    missing = [s for s in STATEMENTS if s not in tested and s not in untested]
    assert not missing, "neither tested nor in the README table: %r" % missing
    both = sorted(set(tested) & set(untested))
    assert not both, "tested and in the README table: %r" % both
    unknown = sorted((set(tested) | set(untested)) - set(STATEMENTS))
    assert not unknown, "not a statement of MQTT 3.1.1: %r" % unknown


def test_tests_live_in_their_section_file():
    """test_mqtt_x_y_z_n_* is in test_section_x_y.py (sections 3.4 to 3.7
    share test_section_3_6.py)."""
    for sid, where in statements_with_tests().items():
        x, y = sid.split(".")[:2]
        for fn, name in where:
            assert fn == "test_section_%s_%s.py" % (x, y), (fn, name)
