"""The sections of the HTML report, one module per group of REMARK items."""
