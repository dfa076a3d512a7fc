"""City reports (template ``HNPLUS-R1``): land the file, read it tolerantly, account for every row.

Reading flows one way: ``formats`` sniffs the bytes, ``workbook`` / ``delimited`` / ``jsonfile`` turn a file into
raw rows and a cover (``layout`` finds headers and cover labels), ``cover`` checks template, city and period,
``rows`` turns each raw row into a staged or quarantined record (``values`` parses numbers, units and statuses),
and ``reader.read_report`` ties them together; ``lookup`` matches codes and names against the catalogue.
``intake`` takes the files of the inbox (``inbox``), lands them (``landing``), decides accepted / duplicate /
superseded, writes the raw tables (``tables``) and the receipts (``receipts``); ``template`` writes the xlsx
template the cities fill; ``commands`` are ``hnplus template`` and ``hnplus intake``.
"""
