"""The ROS template language core: parsing, sections, parameters, conditions, rules, locals,
Count, the evaluator and the dependency graph (the Template API of ARCHITECTURE.md).

Typical use::

    template = load_template(Path("stack.yml"))            # TemplateErrors on any problem
    prepared = prepare(template, {"Env": "prod"})           # binds, checks, expands, graphs
    for generation in prepared.graph.generations():
        for logical_id in generation:
            props = prepared.resolve_properties(logical_id, attributes, physical_ids)

Every static problem of a template at once (what ``ros validate`` reports) comes from
``rosengine.validate.check_template``.
"""

from rosengine.template.graph import DependencyGraph
from rosengine.template.loader import MAX_TEMPLATE_BYTES, load_template
from rosengine.template.model import OutputDefinition, ResourceDefinition, StackIdentity, Template
from rosengine.template.oos import DictOosStore, JsonFileOosStore, OosParameterStore
from rosengine.template.prepare import PreparedTemplate, prepare
from rosengine.template.sourcemap import SourceMap

__all__ = [
    "MAX_TEMPLATE_BYTES",
    "DependencyGraph",
    "DictOosStore",
    "JsonFileOosStore",
    "OosParameterStore",
    "OutputDefinition",
    "PreparedTemplate",
    "ResourceDefinition",
    "SourceMap",
    "StackIdentity",
    "Template",
    "load_template",
    "prepare",
]
