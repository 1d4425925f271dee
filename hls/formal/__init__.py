"""The formal stage's parts: the pinned contract as Verilog (:mod:`.expr`), the harness around the design
(:mod:`.harness`), the model checker (:mod:`.smtbmc`) and the stage (:mod:`.stage`)."""
