// Each collection starts whole stacks; two at once would only fight over two cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
