"""annoconv_fastlabel: FastLabel tasks <-> annoconv IR and FastLabel API sync (in progress)."""
