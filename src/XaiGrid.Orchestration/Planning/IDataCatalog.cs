using XaiGrid.Orchestration.Experiments;

namespace XaiGrid.Orchestration.Planning;

/// <summary>
/// How many items each class of a data entry has: the planner needs it to split "all inputs" or "the instances of
/// class c" into ranges without the data being loaded by the planner itself.
/// </summary>
public interface IDataCatalog
{
    DataCounts Counts(DataEntry data);
}
