#!/bin/sh
# cat: the revision syntax -- ancestry, merges' parents, message search,
# chains -- and a clear error for forms that need the index or dates.
cd "$FIXTURES/repos/basic.git" || exit 2
packcat cat -p HEAD~1:README | head -n 2
packcat cat -t 'HEAD~5^2'
packcat cat -p 'HEAD~5^2' | tail -n 1
packcat cat -p 'v1.0^{commit}~2' | tail -n 1
packcat cat -p ':/side commit 2' | tail -n 1
packcat cat -p 'HEAD^{/basic commit 1}~1' | tail -n 1
echo "--- errors"
packcat cat -t 'HEAD^3'; echo "rc=$?"
packcat cat -t ':0:README'; echo "rc=$?"
packcat cat -t 'HEAD@{yesterday}'; echo "rc=$?"
