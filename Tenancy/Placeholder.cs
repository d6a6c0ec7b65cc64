namespace TieredTenancy.Tenancy; public static class Placeholder {}
