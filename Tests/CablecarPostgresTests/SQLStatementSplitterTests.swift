import CablecarPostgres
import Testing

@Suite("Splitting migration files into statements")
struct SQLStatementSplitterTests {
    @Test("plain statements split on semicolons; blank and comment-only parts vanish")
    func plainStatements() {
        let sql = """
            -- a comment; with a semicolon
            CREATE TABLE a (x int);
            /* block; comment */
            INSERT INTO a VALUES (1);
            ;
            """
        #expect(SQLStatementSplitter.split(sql) == ["CREATE TABLE a (x int)", "INSERT INTO a VALUES (1)"])
    }

    @Test("quotes, doubled quotes and quoted identifiers keep their semicolons")
    func quotes() {
        let sql = "INSERT INTO \"odd;name\" VALUES ('a;b', 'it''s; fine'); SELECT 1"
        #expect(SQLStatementSplitter.split(sql) == ["INSERT INTO \"odd;name\" VALUES ('a;b', 'it''s; fine')", "SELECT 1"])
    }

    @Test("dollar-quoted function bodies stay whole")
    func dollarQuotes() {
        let sql = """
            CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$
            BEGIN RETURN 1; END;
            $body$;
            SELECT $$a;b$$;
            """
        let statements = SQLStatementSplitter.split(sql)
        #expect(statements.count == 2)
        #expect(statements[0].hasSuffix("$body$"))
        #expect(statements[0].contains("RETURN 1; END;"))
        #expect(statements[1] == "SELECT $$a;b$$")
    }

    @Test("a positional parameter like $1 is not a dollar quote")
    func positionalParameter() {
        #expect(SQLStatementSplitter.split("SELECT $1; SELECT 2") == ["SELECT $1", "SELECT 2"])
    }
}
