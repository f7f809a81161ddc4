"""ROS callbacks: the receiving side of ROS's own signals, served by the backend process.

Two kinds of callback reach a stack from outside the engine, and both must arrive while no CLI
process runs (a function signals after ``ros stack create`` returned; a machine is slow):

* **WaitConditionHandle signals**: ``POST /waitcondition?stackname=…&stackid=…&resource=…&expire=…
  &signature=…`` (the URL shape ROS puts in a handle's ``CurlCli``), signed with this backend's
  callback secret (:mod:`fcbackend.roscallbacks.signing`).
* **Custom-resource responses**: ``POST|PUT /ros-callback/<token>`` (a custom resource's
  ``ResponseURL``), checked against the request the token was issued for.

The engine reaches the service through ``rosengine.clients.ros_callbacks`` on the signed
``/2016-08-15/local/ros-callbacks/`` routes: it registers handles and requests, and long-polls for
their signals and responses (:mod:`fcbackend.roscallbacks.service` wakes the poll the moment one
arrives). State lives in the backend's databases (``ros-callbacks.db`` by default) behind
:class:`~fcbackend.roscallbacks.store.CallbackStore`. Wired into the app by
:func:`fcbackend.roscallbacks.wiring.install`.
"""
