"""The generator of the resource schemas: ROS CDK type spec in, ``resource_types/<family>/*.json`` out.

Two steps, so that the committed schemas can be checked without the network:

1. ``python -m resource_types.cdkgen extract`` downloads the pinned ROS CDK wheels
   (``packages.txt``) and writes their facts to ``cdk-facts.json`` (:mod:`.extract`);
2. ``python -m resource_types.cdkgen build`` turns the facts plus the hand-written schemas
   (``resource_types/<family>/handwritten/*.json``) into the schemas the registry loads, the index
   and ``report.txt`` (:mod:`.transform`, pure). A test re-runs step 2 and compares byte for byte.
"""
